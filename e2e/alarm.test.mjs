// A hold-up, end to end, with real parts only: the camera simulator as the post office's camera,
// Mailpit as the mail server, vigie started from a configuration file, a DC-09 frame over TCP as
// the alarm panel, and Chromium opening the links taken from the e-mails. The responder's link
// shows the incident before joining and plays the camera; the observer's link plays it too, but
// asks for no camera or microphone and sends nothing. Then the operator withdraws the observer's
// invitation and closes the incident: each link says so in words.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Participant, cameraFrames, expectGrowth, onFailure, state, waitFor } from './lib/browser.mjs';
import { Mailpit, startCameraSim } from './lib/process.mjs';
import { freePort, startServer } from './lib/server.mjs';

// A panic (CID event 120) of account 1234, zone 15, as an alarm panel sends it; and vigie's ACK.
const FRAME = '\n1379003B"ADM-CID"0001L0#1234[#1234|1120 01 015]_14:12:04,09-25-2024\r';
const ACK = '1BC10012"ACK"0001L0#1234[]';

const SITE = 'Bureau de poste de Joliette';
const ADDRESS = '10 place de la Joliette, 13002 Marseille';
const RESPONDER = 'dupont@police.example';
const OBSERVER = 'martin@prefecture.example';

function config({ camera, dc09, smtpPort }) {
  return `cameras:
  - id: guichet
    name: "Guichet"
    url: ${JSON.stringify(camera)}
    preload: true
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "${RESPONDER}", role: responder, language: fr}
  - {id: martin, name: "Sous-préfet Martin", email: "${OBSERVER}", role: observer, language: en}
sites:
  - id: joliette
    name: "${SITE}"
    address: "${ADDRESS}"
    alarm_accounts: ["1234"]
    cameras: [guichet]
    committee: [dupont, martin]
dc09:
  listen: "${dc09}"
smtp:
  host: 127.0.0.1
  port: ${smtpPort}
  tls: none
  from: "vigie <alerte@vigie.test>"
`;
}

/** sendFrame writes one DC-09 frame over TCP and resolves to the receiver's answer. */
function sendFrame(addr, frame, { timeout = 10_000 } = {}) {
  const [host, port] = addr.split(':');
  return new Promise((resolve, reject) => {
    let answer = '';
    const conn = net.connect({ host, port: Number(port) }, () => conn.write(frame));
    conn.setEncoding('latin1');
    conn.setTimeout(timeout, () => conn.destroy(new Error(`no DC-09 answer within ${timeout} ms (got ${JSON.stringify(answer)})`)));
    conn.on('data', (chunk) => {
      answer += chunk;
      if (answer.includes('\r')) {
        conn.end();
        resolve(answer);
      }
    });
    conn.on('error', reject);
  });
}

/** Text on screen with French typography (no-break spaces, curly apostrophes) made plain. */
function plain(text) {
  return String(text).replace(/[\u00a0\u202f]/g, ' ').replace(/\u2019/g, "'").replace(/\s+/g, ' ').trim();
}

/** instrumentMedia makes the page count its getUserMedia calls in window.mediaRequests. */
async function instrumentMedia(page) {
  await page.addInitScript(() => {
    window.mediaRequests = 0;
    const devices = navigator.mediaDevices;
    if (!devices || !devices.getUserMedia) return;
    const real = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (...args) => {
      window.mediaRequests += 1;
      return real(...args);
    };
  });
}

/** joinUntilCameraFrame clicks Join and resolves to the ms until a camera frame is decoded. */
async function joinUntilCameraFrame(p) {
  const clicked = Date.now();
  await p.page.locator('#join-button').click();
  await waitFor(async () => (await cameraFrames(p.page)) > 0, {
    timeout: 30_000,
    interval: 50,
    what: `${p.label}: a first decoded frame of the camera`,
  });
  const ms = Date.now() - clicked;
  await waitFor(async () => (await state(p.page)) === 'joined', { timeout: 10_000, what: `${p.label}: joined` });
  return ms;
}

describe('a hold-up alarm', () => {
  const ctx = { tmp: null, sim: null, mail: null, server: null, links: {}, incident: null };

  before(async () => {
    ctx.tmp = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-alarm-'));
    ctx.sim = await startCameraSim();
    ctx.mail = await Mailpit.start();
    ctx.dc09 = `127.0.0.1:${await freePort()}`;
    const file = path.join(ctx.tmp, 'vigie.yaml');
    await writeFile(file, config({ camera: ctx.sim.urls.main, dc09: ctx.dc09, smtpPort: ctx.mail.smtpPort }));
    ctx.server = await startServer({ args: ['--config', file] });
  });

  after(async () => {
    try {
      await ctx.server?.stop();
    } finally {
      await ctx.mail?.stop();
      await ctx.sim?.child.stop();
      if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true });
    }
  });

  /** The operator's view of the incidents (GET /api/v1/incidents). */
  async function incidents() {
    const res = await ctx.server.request('GET', '/api/v1/incidents', {
      headers: { authorization: `Bearer ${await ctx.server.adminKey()}` },
    });
    assert.equal(res.status, 200, `GET /api/v1/incidents: ${res.text}`);
    return JSON.parse(res.text).incidents ?? [];
  }

  async function operatorPost(urlPath) {
    const res = await ctx.server.request('POST', urlPath, {
      headers: { authorization: `Bearer ${await ctx.server.adminKey()}` },
    });
    assert.ok(res.status < 300, `POST ${urlPath}: ${res.status} ${res.text}`);
  }

  it('a DC-09 panic frame e-mails the committee; the links show the incident and the camera; the observer only watches', { timeout: 150_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('alarm', { server: ctx.server, participants }, async () => {
      const { server, mail } = ctx;
      // The camera is preloaded: it goes live without any room showing it.
      await waitFor(() => /"msg":"camera (status|state)".*"state":"live"/.test(server.log()), {
        timeout: 15_000,
        what: 'the server log saying the camera is live',
      });

      // The panel reports a panic; vigie acknowledges it.
      const sent = Date.now();
      const answer = await sendFrame(ctx.dc09, FRAME);
      assert.ok(answer.includes(ACK), `DC-09 answer ${JSON.stringify(answer)} holds ${ACK}`);
      const ackMs = Date.now() - sent;

      // One e-mail per member of the committee, each with a personal link.
      let firstMailMs = -1;
      const summaries = await waitFor(
        async () => {
          const list = await mail.messages();
          if (list.length > 0 && firstMailMs < 0) firstMailMs = Date.now() - sent;
          return list.length >= 2 && list;
        },
        { timeout: 20_000, interval: 50, what: 'two e-mails in Mailpit' },
      );
      const mailMs = Date.now() - sent;
      t.diagnostic(`DC-09 frame sent -> ACK ${ackMs} ms, first e-mail in Mailpit ${firstMailMs} ms, both ${mailMs} ms`);
      assert.equal(summaries.length, 2, `two e-mails for two contacts: ${JSON.stringify(summaries.map((m) => m.To))}`);
      for (const summary of summaries) {
        const msg = await mail.message(summary.ID);
        assert.equal(msg.To?.length, 1, `one recipient per e-mail: ${JSON.stringify(msg.To)}`);
        const link = /https:\/\/\S+\/room\/\S+\?t=\S+/.exec(msg.Text ?? '')?.[0];
        assert.ok(link, `a join link in the e-mail to ${msg.To[0].Address}:\n${msg.Text}`);
        ctx.links[msg.To[0].Address.toLowerCase()] = link.replace('://localhost:', '://127.0.0.1:');
      }
      for (const who of [RESPONDER, OBSERVER]) {
        assert.ok(ctx.links[who]?.startsWith(`${server.url}/room/`), `the link mailed to ${who} is on this server: ${ctx.links[who]}`);
      }
      const [incident] = await incidents();
      assert.ok(incident, 'the alarm opened an incident');
      ctx.incident = incident;
      assert.equal(incident.kind, 'panic', `CID event 120 is a panic: ${JSON.stringify(incident)}`);

      // The police officer, in French and in Paris time: the incident first, then Join.
      const responder = await Participant.launch('responder', { locale: 'fr-FR', timezoneId: 'Europe/Paris' });
      participants.push(responder);
      await instrumentMedia(responder.page);
      await responder.open(ctx.links[RESPONDER]);
      const page = responder.page;
      await page.locator('#incident').waitFor({ state: 'visible' });
      assert.equal(plain(await page.locator('#incident-site').innerText()), SITE);
      assert.equal(plain(await page.locator('#incident-address').innerText()), ADDRESS);
      assert.equal(plain(await page.locator('#incident-kind').innerText()).toLowerCase(), 'alarme panique');
      const parisTime = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' })
        .format(new Date(incident.opened_at));
      const opened = plain(await page.locator('#incident-opened').innerText());
      assert.match(opened, /^ouverte (à|le) /, 'the opening time, in words');
      assert.ok(opened.includes(parisTime), `"${opened}" gives the browser's local time ${parisTime}`);
      assert.equal(
        plain(await page.locator('.incident-personal').innerText()),
        "Vous êtes invité(e) à titre personnel : ne transférez pas ce lien.",
      );
      assert.equal(await page.locator('#role-note').isVisible(), false, 'no observer note for a responder');
      assert.equal(await page.locator('#preview-column').isVisible(), true, 'a responder previews the camera');
      t.diagnostic(`responder's pre-join: ${plain(await page.locator('#incident').innerText())}`);
      const responderMs = await joinUntilCameraFrame(responder);
      t.diagnostic(`responder: first camera frame decoded ${responderMs} ms after clicking Join`);
      const growth = await expectGrowth(() => cameraFrames(page), { by: 10, what: 'camera frames decoded by the responder' });
      t.diagnostic(`responder: ${growth.perSecond} camera frames/s`);
      assert.ok(await page.evaluate(() => window.vigie.pub !== null), 'the responder has a publish connection');
      assert.ok(responder.sentOfType('pub_offer').length > 0, 'the responder offers to publish');

      // The observer, in English: no camera or microphone asked for, before or after Join.
      const observer = await Participant.launch('observer', { locale: 'en-GB' });
      participants.push(observer);
      await instrumentMedia(observer.page);
      await observer.open(ctx.links[OBSERVER]);
      const view = observer.page;
      await view.locator('#incident').waitFor({ state: 'visible' });
      assert.equal(plain(await view.locator('#incident-site').innerText()), SITE);
      assert.equal(plain(await view.locator('#incident-kind').innerText()).toLowerCase(), 'panic alarm');
      assert.match(plain(await view.locator('#incident-opened').innerText()), /^opened (at|on) /);
      assert.equal(
        plain(await view.locator('#role-note').innerText()),
        'You can watch and write, without microphone or camera.',
      );
      assert.equal(await view.locator('#preview-column').isVisible(), false, 'no camera preview for an observer');
      assert.equal(await view.locator('#prejoin-cam-off').isVisible(), false, 'no camera switch for an observer');
      const observerMs = await joinUntilCameraFrame(observer);
      t.diagnostic(`observer: first camera frame decoded ${observerMs} ms after clicking Join`);
      await expectGrowth(() => cameraFrames(view), { by: 10, what: 'camera frames decoded by the observer' });
      assert.equal(await view.evaluate(() => window.vigie.pub), null, 'window.vigie.pub is null for an observer');
      assert.deepEqual(observer.sentOfType('pub_offer'), [], 'an observer sends no pub_offer');
      assert.deepEqual(observer.sentOfType('join')[0]?.media, { audio: false, video: false, screen: false });
      for (const id of ['#btn-mic', '#btn-cam', '#btn-screen']) {
        assert.equal(await view.locator(id).isVisible(), false, `${id} hidden for an observer`);
      }
      assert.equal(await view.locator('#btn-chat').isVisible(), true, 'the chat button is there');
      assert.equal(await view.evaluate(() => window.mediaRequests), 0, 'the observer\'s page asked for no device');
      assert.equal(await view.locator('.tile[data-source="self"]').count(), 0, 'no self-view for an observer');

      // Chat and the participant list work for the observer.
      await view.locator('#btn-chat').click();
      await view.locator('#chat-input').fill('Reçu, je suis les images.');
      await view.locator('#chat-send').click();
      await waitFor(async () => (await page.locator('#chat-messages').innerText()).includes('Reçu, je suis les images.'), {
        timeout: 10_000,
        what: "the observer's chat message at the responder's",
      });
      await page.locator('#btn-people').click();
      const observerLine = page.locator('#people-list .person', { hasText: 'Martin' });
      await observerLine.waitFor({ state: 'visible' });
      assert.match(plain(await observerLine.innerText()), /Observateur/, 'the observer is named as such');

      // The operator sees who joined.
      const states = Object.fromEntries((await incidents())[0].invitations.map((i) => [i.email, i.state]));
      assert.deepEqual(states, { [RESPONDER]: 'joined', [OBSERVER]: 'joined' });

      for (const p of [responder, observer]) {
        assert.deepEqual(p.pageErrors(), [], `${p.label}: uncaught errors in the page`);
        assert.deepEqual(p.cspViolations(), [], `${p.label}: Content-Security-Policy violations`);
      }
    });
  });

  it('a withdrawn invitation and a closed incident take people out of the room, in words', { timeout: 90_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('alarm-closed', { server: ctx.server, participants }, async () => {
      assert.ok(ctx.incident && ctx.links[OBSERVER] && ctx.links[RESPONDER], 'the alarm of the first test');
      const observer = await Participant.launch('observer', { locale: 'en-GB' });
      participants.push(observer);
      await observer.join(ctx.links[OBSERVER], 'Observateur');
      const responder = await Participant.launch('responder', { locale: 'fr-FR' });
      participants.push(responder);
      await responder.join(ctx.links[RESPONDER], 'Pompiers');
      const observerLine = responder.page.locator('#people-list .person', { hasText: 'Observateur' });
      await waitFor(async () => (await observerLine.count()) === 1, { what: 'the observer in the responder\'s list of people' });

      // Withdrawn while in the room: the observer is taken out at once, and told why.
      const invitation = ctx.incident.invitations.find((i) => i.email === OBSERVER);
      let start = Date.now();
      await operatorPost(`/api/v1/invitations/${encodeURIComponent(invitation.id)}/revoke`);
      const withdrawnWords = 'This invitation was withdrawn by the operator. Contact the monitoring centre if you think this is a mistake.';
      const outOfTheRoom = async (p) => {
        const box = p.page.locator('#prejoin-error');
        await box.waitFor({ state: 'visible', timeout: 10_000 });
        return plain(await box.innerText());
      };
      assert.equal(await outOfTheRoom(observer), withdrawnWords);
      t.diagnostic(`withdrawn: the observer was out of the room ${Date.now() - start} ms after the request`);
      await waitFor(async () => (await observerLine.count()) === 0, {
        timeout: 10_000, what: 'the observer gone from the responder\'s list of people',
      });
      // And the link no longer opens the room.
      await observer.page.goto(ctx.links[OBSERVER]);
      assert.equal(await outOfTheRoom(observer), withdrawnWords);
      assert.equal(await observer.page.locator('#join-button').isVisible(), false);

      // Closed while in the room: the responder is taken out, in words.
      start = Date.now();
      await operatorPost(`/api/v1/incidents/${encodeURIComponent(ctx.incident.id)}/close`);
      const words = await outOfTheRoom(responder);
      assert.match(words, /^L'incident est clos : ce lien ne fonctionne plus\./);
      t.diagnostic(`closed incident: the responder was out ${Date.now() - start} ms after the request: "${words}"`);
      await responder.page.goto(ctx.links[RESPONDER]);
      assert.match(await outOfTheRoom(responder), /^L'incident est clos : ce lien ne fonctionne plus\./);

      for (const p of participants) assert.deepEqual(p.pageErrors(), [], `${p.label}: uncaught errors in the page`);
    });
  });
});
