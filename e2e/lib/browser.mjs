// Debian's Chromium driven by playwright-core, one browser per participant, with fake camera and
// microphone; and readers of the client's WebRTC statistics (window.vigie.sub.getStats()).

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { waitFor } from './wait.mjs';

export { waitFor } from './wait.mjs';

/** The browser under test: Debian's chromium package. playwright-core never downloads one. */
export const CHROMIUM = process.env.VIGIE_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox', // the tests run as root in CI
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
  '--use-fake-device-for-media-stream', // a moving test pattern and a beeping microphone
  '--use-fake-ui-for-media-stream', // camera and microphone allowed without a prompt
  '--ignore-certificate-errors', // the server's certificate comes from its own fresh CA
  '--autoplay-policy=no-user-gesture-required',
];

export const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));

/** Participant is one person in one browser of their own: its page and what the page logged. */
export class Participant {
  /**
   * launch starts a browser for one person; viewport is the page's size in CSS pixels, locale
   * (such as "fr-FR") and timezoneId (such as "Europe/Paris") the language and clock of the
   * browser, when given; executablePath another way to start Chromium (a wrapper script).
   */
  static async launch(label, { viewport = { width: 1280, height: 720 }, locale, timezoneId, executablePath = CHROMIUM } = {}) {
    const browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 30_000,
    });
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport,
      ...(locale ? { locale } : {}),
      ...(timezoneId ? { timezoneId } : {}),
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    return new Participant(label, browser, page);
  }

  constructor(label, browser, page) {
    this.label = label;
    this.browser = browser;
    this.page = page;
    this.console = [];
    // Every signaling message the page sent, parsed, in order.
    this.sent = [];
    const note = (kind, text) => this.console.push(`${new Date().toISOString()} [${kind}] ${text}`);
    page.on('console', (m) => note(m.type(), m.text()));
    page.on('pageerror', (err) => note('pageerror', err.stack || String(err)));
    page.on('requestfailed', (r) => note('requestfailed', `${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    page.on('websocket', (ws) => {
      note('websocket', `open ${ws.url()}`);
      ws.on('framesent', (f) => {
        note('ws >', summarize(f.payload));
        try {
          this.sent.push(JSON.parse(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
        } catch {
          // not JSON: the log line is all there is
        }
      });
      ws.on('framereceived', (f) => note('ws <', summarize(f.payload)));
      ws.on('close', () => note('websocket', `closed ${ws.url()}`));
    });
    // A "really leave?" confirmation is answered yes, as a person would.
    page.on('dialog', (d) => {
      note('dialog', `${d.type()}: ${d.message()}`);
      d.accept().catch(() => {});
    });
  }

  /** sentOfType lists the signaling messages of one type the page has sent so far. */
  sentOfType(type) {
    return this.sent.filter((m) => m && m.type === type);
  }

  /** pageErrors lists uncaught exceptions thrown in the page. */
  pageErrors() {
    return this.console.filter((l) => l.includes('[pageerror]'));
  }

  /** cspViolations lists the console reports of anything the Content-Security-Policy blocked. */
  cspViolations() {
    return this.console.filter((l) => /Content Security Policy/i.test(l));
  }

  /** open loads a join link and waits for the pre-join page to offer its Join button. */
  async open(url) {
    await this.page.goto(url);
    await waitFor(() => joinUsable(this.page), { timeout: 15_000, what: `${this.label}: #join-button usable` });
  }

  /** enter types a display name on the pre-join page, clicks Join and waits to be in the call. */
  async enter(displayName) {
    await this.page.locator('#display-name').fill(displayName);
    await this.page.locator('#join-button').click();
    await waitFor(async () => (await state(this.page)) === 'joined', {
      timeout: 20_000,
      what: `${this.label}: window.vigie.state === 'joined'`,
    });
  }

  /** join opens a link and enters the call under a display name. */
  async join(url, displayName) {
    await this.open(url);
    await this.enter(displayName);
  }

  /** saveArtifacts writes a screenshot and the console log under e2e/test-results/. */
  async saveArtifacts(prefix) {
    await mkdir(resultsDir, { recursive: true });
    const base = path.join(resultsDir, `${prefix}-${this.label}`);
    const saved = [];
    try {
      await this.page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 5_000 });
      saved.push(`${base}.png`);
    } catch (err) {
      this.console.push(`[screenshot failed] ${err.message}`);
    }
    const snapshot = await this.page.evaluate(peerSnapshot).catch((err) => `unavailable: ${err.message}`);
    const lines = [...this.console, '', 'window.vigie at the failure:', JSON.stringify(snapshot, null, 2)];
    await writeFile(`${base}.console.log`, lines.join('\n') + '\n');
    saved.push(`${base}.console.log`);
    return saved;
  }

  async close() {
    await this.browser.close().catch(() => {});
  }
}

/** summarize shortens a signaling message for the log: its type and fields, SDP as a length. */
function summarize(payload) {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return text.slice(0, 300);
  }
  if (typeof msg.sdp === 'string') msg.sdp = `<${msg.sdp.length} bytes of SDP>`;
  return JSON.stringify(msg).slice(0, 400);
}

/** peerSnapshot runs in the page: the client's state, both connections' states and RTP stats. */
async function peerSnapshot() {
  const v = window.vigie;
  if (!v) return 'window.vigie is not set';
  const describe = async (pc) => {
    if (!pc) return null;
    const rtp = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' || r.type === 'outbound-rtp') {
        const { type, kind, mid, ssrc, packetsReceived, packetsSent, framesDecoded, framesEncoded, bytesReceived, bytesSent } = r;
        rtp.push({ type, kind, mid, ssrc, packetsReceived, packetsSent, framesDecoded, framesEncoded, bytesReceived, bytesSent });
      }
    });
    return {
      connectionState: pc.connectionState,
      iceConnectionState: pc.iceConnectionState,
      signalingState: pc.signalingState,
      transceivers: pc.getTransceivers().map((t) => ({
        mid: t.mid,
        direction: t.direction,
        currentDirection: t.currentDirection,
        receiverTrack: t.receiver.track && `${t.receiver.track.kind} ${t.receiver.track.readyState} muted=${t.receiver.track.muted}`,
      })),
      rtp,
    };
  };
  return { state: v.state, pub: await describe(v.pub), sub: await describe(v.sub) };
}

/** joinUsable says whether a person could press Join: the button is there, visible and enabled. */
export async function joinUsable(page) {
  const button = page.locator('#join-button');
  if ((await button.count()) === 0) return false;
  return (await button.isVisible()) && (await button.isEnabled());
}

/** state is window.vigie.state, or undefined before the client has set it up. */
export function state(page) {
  return page.evaluate(() => window.vigie?.state);
}

/** rtpStat sums one field of the RTP reports of one type and kind on window.vigie.pub or .sub. */
export function rtpStat(page, pc, type, kind, field) {
  return page.evaluate(
    async ([pc, type, kind, field]) => {
      const conn = window.vigie?.[pc];
      if (!conn) return 0;
      let total = 0;
      (await conn.getStats()).forEach((r) => {
        if (r.type === type && r.kind === kind) total += r[field] ?? 0;
      });
      return total;
    },
    [pc, type, kind, field],
  );
}

/** inboundVideo is the number of video frames the page has decoded from others. */
export const inboundVideo = (page) => rtpStat(page, 'sub', 'inbound-rtp', 'video', 'framesDecoded');

/** inboundAudio is the number of audio packets the page has received from others. */
export const inboundAudio = (page) => rtpStat(page, 'sub', 'inbound-rtp', 'audio', 'packetsReceived');

/** videoStreams lists framesDecoded of each video stream received on window.vigie.sub. */
export function videoStreams(page) {
  return page.evaluate(async () => {
    const frames = [];
    (await window.vigie?.sub?.getStats())?.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames.push(r.framesDecoded ?? 0);
    });
    return frames;
  });
}

/** outboundVideo is the number of video frames the page has encoded and sent on its publish connection. */
export const outboundVideo = (page) => rtpStat(page, 'pub', 'outbound-rtp', 'video', 'framesEncoded');

/**
 * cameraVideo runs in the page: the mids of the subscribe connection's video sections that belong
 * to a camera stream (a=msid:camera-<id>), and the framesDecoded and track of each.
 */
export async function cameraVideo() {
  const pc = window.vigie?.sub;
  if (!pc || !pc.remoteDescription) return [];
  const sections = pc.remoteDescription.sdp.split(/\r?\nm=/).slice(1);
  const mids = new Map();
  for (const section of sections) {
    const msid = /\r?\na=msid:camera-(\S+)/.exec(section);
    const mid = /\r?\na=mid:(\S+)/.exec(section);
    if (section.startsWith('video') && msid && mid) mids.set(mid[1], msid[1]);
  }
  const found = [];
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video' && mids.has(r.mid)) {
      found.push({
        camera: mids.get(r.mid), mid: r.mid, track: r.trackIdentifier, frames: r.framesDecoded ?? 0,
        width: r.frameWidth ?? 0, height: r.frameHeight ?? 0,
      });
    }
  });
  return found;
}

/** The frames decoded from camera streams so far. */
export async function cameraFrames(page) {
  const streams = await page.evaluate(cameraVideo);
  return streams.reduce((sum, s) => sum + s.frames, 0);
}

/**
 * expectGrowth watches a counter for at least `window` ms and resolves once it has grown by at
 * least `by` over that window (or fails `slack` ms later). It resolves to {from, to, ms, perSecond}.
 */
export async function expectGrowth(read, { by, window = 3_000, slack = 4_000, what }) {
  const from = await read();
  const t0 = Date.now();
  let to = from;
  await waitFor(
    async () => {
      to = await read();
      return Date.now() - t0 >= window && to - from >= by;
    },
    { timeout: window + slack, interval: 250, what: () => `${what} to grow by ${by} from ${from} (reached ${to})` },
  );
  const ms = Date.now() - t0;
  return { from, to, ms, perSecond: Math.round(((to - from) * 1000) / ms) };
}

/**
 * onFailure runs fn; if it throws, it saves each participant's screenshot and console log, prints
 * the server log, and throws the error again.
 */
export async function onFailure(name, { server, participants }, fn) {
  try {
    return await fn();
  } catch (err) {
    const saved = [];
    for (const p of participants) saved.push(...(await p.saveArtifacts(name).catch(() => [])));
    if (server) {
      await mkdir(resultsDir, { recursive: true });
      const logPath = path.join(resultsDir, `${name}-server.log`);
      await writeFile(logPath, server.log() + '\n').catch(() => {});
      saved.push(logPath);
      server.printLog(`test "${name}" failed`);
    }
    process.stderr.write(`saved for "${name}":\n${saved.map((s) => `  ${s}`).join('\n')}\n`);
    throw err;
  }
}
