// Recorded footage (NVR playback), end to end with real parts: the camera simulator is the site's
// camera and its recorder (its /playback path replays the clip from any start, ONVIF style), vigie
// runs from a configuration file, and two Chromium pages at phone width: the operator console
// and the incident's room. The operator raises the alarm, opens the room, fills the console's
// "Images enregistrées" form and presses Play: the room shows the recorded tile, labelled
// "enregistré — HH:MM:SS" (in violet where live cameras say "EN DIRECT") from the chosen start
// and advancing, and decodes its frames; Pause
// holds both; Resume moves again; Save clip shares an MP4 in the room's files; Stop takes the tile
// away while the console line stays "terminé" with Save clip, which still works, and Dismiss.
// A second camera whose recorder is down shows the console's plain error.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Participant, cameraVideo, expectGrowth, onFailure, waitFor } from './lib/browser.mjs';
import { startCameraSim } from './lib/process.mjs';
import { freePort, startServer } from './lib/server.mjs';

const USERNAME = 'operatrice';
const PASSWORD = 'vigie-console-e2e';
// bcrypt, cost 10, of PASSWORD (the same as console.test.mjs).
const HASH = '$2a$10$FQsrAJ8phoIs//we4KeQzOpTr5roex.AUTwAIgKZ/hWzROR99.vWm';
const PHONE = { width: 360, height: 740 };
const BROWSER = { viewport: PHONE, locale: 'fr-FR', timezoneId: 'Europe/Paris' };

function config({ main, playback, dead }) {
  return `operators:
  - username: ${USERNAME}
    name: "Opératrice Test"
    password_hash: '${HASH}'
cameras:
  - id: cour
    name: "Cour"
    url: ${JSON.stringify(main)}
    playback_url: ${JSON.stringify(playback)}
  - id: quai
    name: "Quai"
    url: ${JSON.stringify(dead)}
    playback_url: ${JSON.stringify(dead)}
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example"}
sites:
  - id: joliette
    name: "Bureau de poste de Joliette"
    cameras: [cour, quai]
    committee: [dupont]
`;
}

/** Text on screen with French typography (no-break spaces, curly apostrophes) made plain. */
function plain(text) {
  return String(text).replace(/[\u00a0\u202f]/g, ' ').replace(/\u2019/g, "'").replace(/\s+/g, ' ').trim();
}

/** Seconds since midnight of "HH:MM:SS". */
function clockSeconds(hms) {
  const [h, m, s] = hms.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/** The page's local "YYYY-MM-DDTHH:MM:SS" (a datetime-local value) of an instant, and its HH:MM:SS. */
function localTime(page, ms) {
  return page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    const clock = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    return { input: `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${clock}`, clock };
  }, ms);
}

/** The recorded tile's label: {text, clock, paused}, or null while there is none. */
async function recordedLabel(page, track) {
  const label = page.locator(`.tile[data-camera="${track}"] .playback-label`);
  if ((await label.count()) === 0) return null;
  const text = plain(await label.textContent());
  const m = /^enregistré — (\d\d:\d\d:\d\d)( \(en pause\))?$/.exec(text);
  return m ? { text, clock: m[1], paused: !!m[2] } : { text, clock: '', paused: false };
}

/** Frames decoded from one camera stream (the recorded track's), or -1 while it has none. */
async function trackFrames(page, track) {
  const streams = await page.evaluate(cameraVideo);
  const s = streams.find((x) => x.camera === track);
  return s ? s.frames : -1;
}

/**
 * mediaClock is the RTP timestamp (90 kHz) of the last picture the recorded tile presented, read
 * with requestVideoFrameCallback, or null before the first. While paused, Chrome asks for a
 * keyframe every few seconds and vigie answers with its cached pictures again, one tick apart:
 * frames are decoded, but this clock stays where the picture stopped.
 */
function mediaClock(page, track) {
  return page.evaluate((track) => {
    const video = document.querySelector(`.tile[data-camera="${CSS.escape(track)}"] video`);
    if (!video) return null;
    if (video.dataset.watched !== track) {
      video.dataset.watched = track;
      const tick = (now, meta) => {
        video.dataset.rtp = String(meta.rtpTimestamp ?? '');
        video.requestVideoFrameCallback(tick);
      };
      video.requestVideoFrameCallback(tick);
    }
    return video.dataset.rtp ? Number(video.dataset.rtp) : null;
  }, track);
}

/** Seconds of media from RTP timestamp a to b (90 kHz, across a wrap). */
const mediaSeconds = (a, b) => ((b - a) | 0) / 90_000;

const sameJSON = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * expectStill waits until read() has kept one value (by same) for `hold` ms (what was in flight
 * when a pause lands still arrives), within `timeout`, and returns that value.
 */
async function expectStill(read, { hold = 3_000, timeout = 12_000, same = sameJSON, what }) {
  let value;
  let since = 0;
  await waitFor(
    async () => {
      const now = await read();
      if (since === 0 || !same(value, now)) {
        value = now;
        since = Date.now();
        return false;
      }
      return Date.now() - since >= hold;
    },
    { timeout, interval: 250, what: () => `${what} to hold still for ${hold} ms (last ${JSON.stringify(value)})` },
  );
  return value;
}

/** watchStatuses collects the playback_status messages a page receives, in order. */
function watchStatuses(page) {
  const seen = [];
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    try {
      const m = JSON.parse(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8'));
      if (m && m.type === 'playback_status') seen.push(m);
    } catch {
      // not JSON: not a status
    }
  }));
  return seen;
}

/** Whether a page scrolls sideways: nothing may be wider than the phone. */
function overflowsX(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

describe('recorded footage from the console to the room', () => {
  const ctx = { server: null, sim: null, tmp: '' };

  before(async () => {
    ctx.sim = await startCameraSim();
    const main = ctx.sim.urls.main;
    const dead = `rtsp://127.0.0.1:${await freePort()}/playback`;
    ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-playback-'));
    const file = path.join(ctx.tmp, 'vigie.yaml');
    await writeFile(file, config({ main, playback: main.replace(/\/main$/, '/playback'), dead }));
    ctx.server = await startServer({ args: ['--config', file] });
  });

  after(async () => {
    try {
      await ctx.server?.stop();
    } finally {
      await ctx.sim?.child.stop();
      if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
    }
  });

  it('plays, pauses, resumes, saves a clip of, stops, saves again and dismisses a recording', { timeout: 180_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('playback', { server: ctx.server, participants }, async () => {
      // ---- the console: log in, raise the alarm ----
      const op = await Participant.launch('console', BROWSER);
      participants.push(op);
      const con = op.page;
      await con.goto(`${ctx.server.url}/console`);
      await con.locator('#login-username').fill(USERNAME);
      await con.locator('#login-password').fill(PASSWORD);
      await con.locator('#login-submit').click();
      await waitFor(async () => (await con.evaluate(() => document.body.dataset.screen)) === 'dashboard', {
        what: 'the dashboard',
      });
      await con.locator('#sites li[data-site="joliette"] [data-action="raise"]').click();
      await con.locator('#raise-confirm').click();
      const card = con.locator('article.incident');
      const section = card.locator('section.playback');
      await section.waitFor({ state: 'visible' });
      assert.equal(plain(await section.locator('.playback-title').textContent()), 'Images enregistrées');
      const openedAt = await con.evaluate(() => window.vigieConsole.state.incidents[0].opened_at);
      const alarm = Math.floor(Date.parse(openedAt) / 1000) * 1000;

      // Labels are tied to their fields; both cameras with a recorder are offered.
      const cameraSelect = section.getByLabel('Caméra', { exact: true });
      const fromInput = section.getByLabel('Début', { exact: true });
      const toInput = section.getByLabel('Fin', { exact: true });
      assert.deepEqual(await cameraSelect.locator('option').evaluateAll((os) => os.map((o) => o.value)), ['cour', 'quai']);
      // Defaults: from 5 minutes before the alarm to 1 minute after, in local time, to the second.
      assert.equal(await fromInput.inputValue(), (await localTime(con, alarm - 5 * 60_000)).input);
      assert.equal(await toInput.inputValue(), (await localTime(con, alarm + 60_000)).input);
      assert.equal(await overflowsX(con), false, 'the console fits a 360 px wide phone');

      // ---- the room, from the card's link, on a phone ----
      const href = await card.locator('a[data-action="room"]').getAttribute('href');
      const room = await Participant.launch('room', BROWSER);
      participants.push(room);
      const statuses = watchStatuses(room.page);
      await room.join(ctx.server.linkURL({ url: new URL(href, ctx.server.url).href }), 'Opératrice');
      const page = room.page;
      // Every control's word shows whole on the 360 px phone, in French (the longer language).
      const cut = await page.evaluate(() => [...document.querySelectorAll('.control')]
        .filter((b) => b.offsetParent)
        .map((b) => b.querySelector('.control-label'))
        .filter((l) => l.scrollWidth > l.clientWidth)
        .map((l) => `${l.textContent} ${l.scrollWidth}/${l.clientWidth} px`));
      assert.deepEqual(cut, [], 'control labels cut on a 360 px phone');

      // ---- the form's own checks, in words ----
      const start = await localTime(con, alarm - 2 * 60_000);
      await fromInput.fill(start.input);
      await toInput.fill((await localTime(con, alarm - 3 * 60_000)).input);
      await section.locator('.playback-play').click();
      const formError = section.locator('.playback-error');
      await formError.waitFor({ state: 'visible' });
      assert.equal(plain(await formError.textContent()), 'La fin doit venir après le début.');
      assert.equal(await toInput.getAttribute('aria-invalid'), 'true');
      await toInput.fill((await localTime(con, alarm + 60_000)).input);

      // ---- a recorder that cannot be reached: said plainly ----
      await cameraSelect.selectOption('quai');
      await section.locator('.playback-play').click();
      await waitFor(async () => (await formError.isVisible()) && plain(await formError.textContent()).startsWith('L\'enregistreur est injoignable'), {
        timeout: 20_000,
        what: () => 'the "recorder unreachable" error',
      });

      // ---- Play ----
      await cameraSelect.selectOption('cour');
      const clicked = Date.now();
      await section.locator('.playback-play').click();
      await section.locator('.playback-done').waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(plain(await section.locator('.playback-done').textContent()), 'Cour : l\'enregistrement est lu dans la salle.');
      const item = section.locator('.playback-item');
      await item.waitFor({ state: 'visible' });
      const pid = await item.getAttribute('data-playback');
      const track = `cour-rec-${pid}`;

      // The server's first word on it is the chosen start (±2 s), and the tile shows the time.
      const status = await waitFor(() => statuses.find((m) => m.track === track), {
        timeout: 15_000, what: `a playback_status for ${track}`,
      });
      const startGap = (Date.parse(status.recorded_at) - (alarm - 2 * 60_000)) / 1000;
      assert.ok(Math.abs(startGap) <= 2, `first recorded_at ${status.recorded_at} is the chosen start ${start.clock} ±2 s (${startGap} s)`);
      const tile = page.locator(`.tile[data-camera="${track}"]`);
      await tile.waitFor({ state: 'visible', timeout: 20_000 });
      const first = await waitFor(async () => {
        const l = await recordedLabel(page, track);
        return l && l.clock ? l : null;
      }, { timeout: 15_000, what: 'the recorded tile\'s label with a time' });
      // Shown in local time: as many seconds from the start as the server had played by then.
      const played = (Date.now() - clicked) / 1000;
      const offset = clockSeconds(first.clock) - clockSeconds(start.clock);
      t.diagnostic(`first label "${first.text}" for a start at ${start.clock}, ${played.toFixed(1)} s after Play`);
      assert.ok(offset >= -2 && offset <= played + 2, `the label starts at the chosen start ${start.clock}: ${first.text}`);
      // Distinct from live: the label is in the badge where live cameras say "EN DIRECT", with
      // its own kind (colour), on a tile of the camera's name; on a phone nothing covers it.
      assert.equal(await tile.locator('.camera-badge').getAttribute('data-kind'), 'recorded');
      await waitFor(async () => (await page.locator('.tile[data-camera="cour"] .camera-badge').getAttribute('data-kind')) === 'live', {
        timeout: 20_000, what: 'the live camera\'s badge saying live',
      });
      assert.equal(plain(await tile.locator('.tile-name').textContent()), 'Cour');
      assert.equal(await tile.getAttribute('data-recorded'), 'playing');
      const label = tile.locator('.playback-label');
      assert.ok(await label.isVisible(), 'the recorded time shows on a phone');
      const box = await label.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `the label fits the phone's width: ${JSON.stringify(box)}`);
      const self = await page.locator('.tile[data-source="self"]').boundingBox();
      const apart = (a, b) => a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(!self || apart(box, self), `the self-view does not cover the label: ${JSON.stringify({ box, self })}`);
      assert.equal(await overflowsX(page), false, 'the room fits a 360 px wide phone');

      // The time advances and frames are decoded on that track.
      await waitFor(async () => {
        const l = await recordedLabel(page, track);
        return l && l.clock && clockSeconds(l.clock) > clockSeconds(first.clock);
      }, { timeout: 10_000, what: 'the recorded time to advance' });
      const playing = await expectGrowth(() => trackFrames(page, track), { by: 20, window: 2_000, what: `frames decoded on ${track}` });
      t.diagnostic(`recorded track: ${playing.perSecond} frames/s decoded`);
      const clock0 = await waitFor(() => mediaClock(page, track), { what: 'a presented recorded picture' });
      await waitFor(async () => mediaSeconds(clock0, await mediaClock(page, track)) >= 1, {
        what: 'a second of recorded pictures presented',
      });
      assert.match(plain(await item.locator('.playback-line').textContent()), /^Cour — enregistré \d\d:\d\d:\d\d — en lecture$/);

      // ---- Pause: the time and the frames stop ----
      const toggle = item.locator('.playback-toggle');
      assert.equal(plain(await toggle.textContent()), 'Pause');
      // From the keyboard: the button keeps the focus while its words change.
      await toggle.focus();
      await con.keyboard.press('Enter');
      await waitFor(async () => (await recordedLabel(page, track))?.paused, { timeout: 10_000, what: 'the label saying "en pause"' });
      assert.equal(await tile.getAttribute('data-recorded'), 'paused');
      const held = await expectStill(() => recordedLabel(page, track), { what: 'the paused label' });
      assert.ok(held.paused, `still paused: ${held.text}`);
      await expectStill(() => mediaClock(page, track), {
        same: (a, b) => a !== null && b !== null && Math.abs(mediaSeconds(a, b)) < 0.1,
        what: 'the media clock of the presented recorded pictures while paused',
      });
      await waitFor(async () => plain(await item.locator('.playback-line').textContent()).endsWith('en pause'), {
        what: 'the console line saying "en pause"',
      });
      assert.equal(plain(await toggle.textContent()), 'Reprendre');
      assert.ok(await toggle.evaluate((b) => b === document.activeElement), 'Pause/Resume keeps the focus');

      // ---- Resume: moving again ----
      await toggle.click();
      await waitFor(async () => {
        const l = await recordedLabel(page, track);
        return l && !l.paused && l.clock && clockSeconds(l.clock) > clockSeconds(held.clock);
      }, { timeout: 10_000, what: 'the recorded time to advance after Resume' });
      await expectGrowth(() => trackFrames(page, track), { by: 20, window: 2_000, what: `frames decoded on ${track} after Resume` });
      const resumed = await mediaClock(page, track);
      await waitFor(async () => mediaSeconds(resumed, await mediaClock(page, track)) >= 1, {
        what: 'a second of recorded pictures presented after Resume',
      });
      await waitFor(async () => plain(await toggle.textContent()) === 'Pause', { what: 'the toggle back to "Pause"' });

      // ---- Save clip: shared in the room's files ----
      await item.locator('.playback-clip').click();
      const done = section.locator('.playback-done');
      await waitFor(async () => plain(await done.textContent()).startsWith('Extrait partagé dans la salle'), {
        timeout: 30_000,
        what: 'the console saying the clip is shared',
      });
      const clipName = plain(await done.textContent()).replace(/^Extrait partagé dans la salle : /, '');
      assert.match(clipName, /^Enregistrement — caméra Cour \d\dh\d\dm\d\d–\d\dh\d\dm\d\d \(Recorded — camera Cour .*\)\.mp4$/);
      await page.locator('#btn-files').click();
      const file = page.locator('#files-list .file-item').filter({ hasText: 'Enregistrement' });
      await file.first().waitFor({ state: 'visible', timeout: 15_000 });
      assert.ok(plain(await file.first().textContent()).includes(clipName), `the room's files list "${clipName}"`);
      await page.locator('#files-close').click();

      // ---- Stop: the tile goes; the console line stays, ended, for its clip ----
      await item.locator('.playback-stop').click();
      await waitFor(async () => (await tile.count()) === 0, { timeout: 10_000, what: 'the recorded tile to go' });
      await waitFor(async () => (await item.getAttribute('data-state')) === 'ended', { what: 'the console line to say ended' });
      assert.match(plain(await item.locator('.playback-line').textContent()), /^Cour — enregistré \d\d:\d\d:\d\d — terminé$/);
      assert.match(plain(await item.locator('.playback-note').textContent()), /^Son extrait peut être enregistré jusqu'à \d\d:\d\d:\d\d\.$/);
      assert.ok(await item.locator('.playback-stop').isHidden(), 'Stop hidden once ended');
      assert.ok(await item.locator('.playback-toggle').isHidden(), 'Pause hidden once ended');
      assert.equal(await con.evaluate(() => document.activeElement && document.activeElement.classList.contains('playback-clip')), true,
        'the focus handed from Stop to Save clip');
      await waitFor(async () => /l'enregistrement est arrêté\. Son extrait peut encore être enregistré\.$/.test(plain(await done.textContent())), {
        what: 'the console saying the clip can still be saved',
      });

      // ---- Save clip after the end: still shared ----
      await item.locator('.playback-clip').click();
      await waitFor(async () => plain(await done.textContent()).startsWith('Extrait partagé dans la salle'), {
        timeout: 30_000,
        what: 'the console saying the clip saved after the end is shared',
      });
      assert.match(plain(await done.textContent()), /^Extrait partagé dans la salle : Enregistrement — caméra Cour \d\dh\d\dm\d\d–\d\dh\d\dm\d\d /);

      // ---- Dismiss: the line goes, with a word ----
      await item.locator('.playback-dismiss').click();
      await waitFor(async () => (await section.locator('.playback-item').count()) === 0, { what: 'the console line to go' });
      assert.equal(plain(await done.textContent()), "Cour : l'enregistrement terminé est retiré.");
      // The live camera's tile stays.
      assert.equal(await page.locator('.tile[data-camera="cour"]').count(), 1);

      for (const p of participants) {
        assert.deepEqual(p.pageErrors(), [], `${p.label}: no uncaught error`);
        assert.deepEqual(p.cspViolations(), [], `${p.label}: nothing blocked by the CSP`);
      }
    });
  });
});
