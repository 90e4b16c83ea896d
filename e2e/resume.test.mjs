// A responder on a flaky network and a server that crashes must not lose the room.
//
// 1. The network between a browser and vigie drops for 5 s (a TCP proxy cuts every connection and
//    refuses new ones): the browser shows "Reconnecting…", comes back by itself and resumes the
//    same session: no new join, nobody sees it leave and come back, the camera plays on.
// 2. vigie is killed (SIGKILL) in the middle of an incident and started again on the same data
//    directory and port: the browser joins again by itself with the link it was opened with,
//    plays the camera again and still shows the chat written before the crash.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Participant, cameraFrames, expectGrowth, onFailure, state, waitFor } from './lib/browser.mjs';
import { startCameraSim } from './lib/process.mjs';
import { CutProxy } from './lib/proxy.mjs';
import { VigieServer, freePort, startServer } from './lib/server.mjs';

const CUT_MS = 5_000;

/** Sends a chat message from the page's chat panel and waits for the room to echo it. */
async function sendChat(p, text) {
  const input = p.page.locator('#chat-input');
  if (!(await input.isVisible())) await p.page.locator('#btn-chat').click();
  await input.fill(text);
  await input.press('Enter');
  await waitFor(async () => (await chatTexts(p)).includes(text), { timeout: 10_000, what: `${p.label}: chat "${text}" shown` });
}

function chatTexts(p) {
  return p.page.locator('#chat-messages .chat-text').allTextContents();
}

function banner(p) {
  return p.page.evaluate(() => {
    const el = document.getElementById('banner');
    const box = el.getBoundingClientRect();
    return {
      shown: !el.hidden, text: document.getElementById('banner-text').textContent,
      inView: box.left >= 0 && box.right <= window.innerWidth && box.top >= 0 && box.bottom <= window.innerHeight,
    };
  });
}

/** Records the presence messages a page receives from now on. */
function watchPresence(p) {
  const seen = [];
  p.page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    const text = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
    if (/"type":"participant_(left|joined)"/.test(text)) seen.push(text);
  }));
  return seen;
}

function count(log, pattern) {
  return log.split('\n').filter((l) => pattern.test(l)).length;
}

/** Polls until the page decodes camera frames again, after `since`; resolves to the ms taken. */
async function cameraBack(p, since, { timeout = 30_000 } = {}) {
  let last = -1;
  await waitFor(
    async () => {
      const [frames, st] = await Promise.all([cameraFrames(p.page), state(p.page)]);
      const moving = st === 'joined' && last >= 0 && frames > last;
      last = st === 'joined' ? frames : -1;
      return moving;
    },
    { timeout, interval: 100, what: `${p.label}: camera frames decoded again` },
  );
  return Date.now() - since;
}

describe('reconnection', () => {
  it('resumes the same session after the network drops for 5 s', { timeout: 120_000 }, async (t) => {
    const server = await startServer({ args: ['--demo'] });
    const proxy = await CutProxy.start(server.port);
    const participants = [];
    t.after(async () => {
      await Promise.all(participants.map((p) => p.close()));
      await proxy.close();
      await server.stop();
    });
    await onFailure('resume-cut', { server, participants }, async () => {
      const viaProxy = new URL(await server.printedLink('participant'));
      viaProxy.port = String(proxy.port);
      // On a phone, in French.
      const responder = await Participant.launch('responder', { viewport: { width: 390, height: 844 }, locale: 'fr-FR' });
      participants.push(responder);
      await responder.join(viaProxy.toString(), 'Pompiers');
      const operator = await Participant.launch('operator');
      participants.push(operator);
      const presence = watchPresence(operator);
      await operator.join(await server.printedLink('operator'), 'Opérateur');
      await waitFor(async () => (await cameraFrames(responder.page)) > 0, { timeout: 30_000, what: 'responder: camera frames' });
      await sendChat(responder, 'Nous arrivons');
      const session = await responder.page.evaluate(() => window.vigie.session);
      assert.match(session, /^s_/);
      presence.length = 0; // the responder's own arrival is over

      proxy.cut();
      await waitFor(async () => (await state(responder.page)) === 'reconnecting', { timeout: 5_000, what: 'responder: reconnecting' });
      const cut = await banner(responder);
      assert.ok(cut.shown && cut.inView, `a banner shows, whole, on the phone's screen while cut: ${JSON.stringify(cut)}`);
      assert.equal(cut.text, 'Reconnexion\u2026');
      await sleep(CUT_MS); // the network stays down this long, on purpose
      proxy.restore();
      const back = Date.now();
      const ms = await cameraBack(responder, back);
      await waitFor(async () => !(await banner(responder)).shown, { timeout: 10_000, what: 'responder: banner gone' });
      const hiddenMs = Date.now() - back;
      t.diagnostic(`after a ${CUT_MS} ms cut: session resumed and camera frames decoded ${ms} ms after the network came back; banner gone after ${hiddenMs} ms; ${proxy.refused} connections refused while cut`);

      assert.equal(await responder.page.evaluate(() => window.vigie.session), session, 'the same session');
      assert.equal(responder.sentOfType('join').length, 1, 'one join only: the cut was resumed');
      assert.ok(responder.sentOfType('resume').length >= 1, 'a resume was sent');
      assert.deepEqual(presence, [], 'the operator saw nobody leave or come back');
      const log = server.log();
      assert.equal(count(log, /"msg":"participant joined"/), 2, 'two joins in the server log');
      assert.equal(count(log, /"msg":"participant left"/), 0, 'nobody left');
      assert.ok(count(log, /"msg":"session resumed"/) >= 1, 'the server resumed the session');
      // Everything works as before: the camera plays on, the chat goes both ways, once each.
      await expectGrowth(() => cameraFrames(responder.page), { by: 10, what: 'responder camera frames after the cut' });
      await sendChat(operator, 'Bien reçu');
      await waitFor(async () => (await chatTexts(responder)).includes('Bien reçu'), { timeout: 10_000, what: 'responder: chat after the cut' });
      assert.deepEqual(await chatTexts(responder), ['Nous arrivons', 'Bien reçu']);
    });
  });
});

function incidentConfig(camera) {
  return `cameras:
  - id: guichet
    name: "Guichet"
    url: ${JSON.stringify(camera)}
    preload: true
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example", role: responder, language: fr}
sites:
  - id: joliette
    name: "Bureau de poste de Joliette"
    address: "10 place de la Joliette, 13002 Marseille"
    cameras: [guichet]
    committee: [dupont]
`;
}

describe('restart recovery', () => {
  it('rejoins by itself after vigie is killed and started again mid-incident', { timeout: 150_000 }, async (t) => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-restart-'));
    const sim = await startCameraSim();
    const file = path.join(tmp, 'vigie.yaml');
    await writeFile(file, incidentConfig(sim.urls.main));
    const dataDir = path.join(tmp, 'data');
    await mkdir(dataDir); // the server runs in it
    const port = await freePort();
    const args = ['--config', file];
    let server = new VigieServer(dataDir, port, args);
    const participants = [];
    t.after(async () => {
      await Promise.all(participants.map((p) => p.close()));
      await server.stop();
      await sim.child.stop();
      await rm(tmp, { recursive: true, force: true });
    });
    await server.waitReady();
    await onFailure('resume-restart', { server: { log: () => server.log(), printLog: (r) => server.printLog(r) }, participants }, async () => {
      const raised = await server.request('POST', '/api/v1/incidents', {
        headers: { authorization: `Bearer ${await server.adminKey()}` },
        body: { site: 'joliette', kind: 'holdup' },
      });
      assert.equal(raised.status, 201, raised.text);
      const incident = JSON.parse(raised.text);
      const operator = await Participant.launch('operator');
      participants.push(operator);
      await operator.join(server.linkURL({ url: incident.operator_url }), 'Opérateur');
      await waitFor(async () => (await cameraFrames(operator.page)) > 0, { timeout: 30_000, what: 'operator: camera frames' });
      await sendChat(operator, 'Patrouille en route');
      const session = await operator.page.evaluate(() => window.vigie.session);

      server.proc.kill('SIGKILL');
      await server.exited;
      await waitFor(async () => (await state(operator.page)) === 'reconnecting', { timeout: 15_000, what: 'operator: reconnecting' });
      const away = await banner(operator);
      assert.ok(away.shown && away.text === 'Reconnecting\u2026', `a banner shows while the server is away: ${JSON.stringify(away)}`);

      server = new VigieServer(dataDir, port, args);
      await server.waitReady();
      const ready = Date.now();
      const ms = await cameraBack(operator, ready, { timeout: 20_000 });
      t.diagnostic(`after kill -9 and restart: camera frames decoded in the browser ${ms} ms after the server was ready`);
      assert.ok(ms < 10_000, `rejoined and playing within 10 s of the server being ready (took ${ms} ms)`);
      await waitFor(async () => !(await banner(operator)).shown, { timeout: 10_000, what: 'operator: banner gone' });

      assert.notEqual(await operator.page.evaluate(() => window.vigie.session), session, 'a new session on the restarted server');
      assert.equal(operator.sentOfType('join').length, 2, 'the click, then one automatic join with the same link');
      assert.deepEqual(await chatTexts(operator), ['Patrouille en route'], 'the chat from before the crash, once');
      const open = await server.request('GET', '/api/v1/incidents', { headers: { authorization: `Bearer ${await server.adminKey()}` } });
      assert.ok(open.text.includes(incident.id), `the incident is still open: ${open.text}`);
      await expectGrowth(() => cameraFrames(operator.page), { by: 10, what: 'operator camera frames after the restart' });
    });
  });
});
