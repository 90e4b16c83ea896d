// A room, end to end: a real vigie server, real Chromium browsers with fake cameras and
// microphones, and assertions on what the browsers decode, not on what the page claims.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Participant,
  expectGrowth,
  inboundAudio,
  inboundVideo,
  joinUsable,
  onFailure,
  outboundVideo,
  state,
  videoStreams,
  waitFor,
} from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

/** tokenOf returns the ?t= token of a join link. */
function tokenOf(url) {
  return new URL(url).searchParams.get('t');
}

/** payloadOf decodes the signed part of a token (see docs/protocol.md). */
function payloadOf(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 2, `a token is payload.signature: ${token}`);
  return JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
}

/** tamper changes the first character of a token's signature, as a damaged or edited link would. */
function tamper(token) {
  const [payload, sig] = token.split('.');
  return `${payload}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
}

async function joinInfo(server, roomId, token) {
  const query = new URLSearchParams({ room: roomId });
  if (token !== null) query.set('t', token);
  const res = await server.request('GET', `/api/v1/join-info?${query}`);
  let body;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = res.text;
  }
  return { status: res.status, body };
}

function linkOfRole(created, role) {
  const link = created.links.find((l) => l.role === role);
  assert.ok(link, `a ${role} link among ${JSON.stringify(created.links)}`);
  return link;
}

/** openPanel shows a side panel (chat, people) unless its content is already on screen. */
async function openPanel(page, button, content) {
  if (!(await page.locator(content).isVisible())) await page.locator(button).click();
  await page.locator(content).waitFor({ state: 'visible' });
}

/** directive returns the value of one Content-Security-Policy directive, or undefined. */
function directive(csp, name) {
  for (const part of csp.split(';')) {
    const [key, ...values] = part.trim().split(/\s+/);
    if (key?.toLowerCase() === name) return values.join(' ');
  }
  return undefined;
}

describe('a room', () => {
  const ctx = { server: null };

  before(async () => {
    ctx.server = await startServer();
  });

  after(async () => {
    await ctx.server?.stop();
  });

  /** withPeople runs a test body with a list of participants that are closed at the end. */
  async function withPeople(t, name, body) {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure(name, { server: ctx.server, participants }, () => body(participants));
  }

  it('vigie room create --json prints a room with an operator and a participant link', { timeout: 30_000 }, async (t) => {
    await withPeople(t, 'room-create-cli', async () => {
      const { server } = ctx;
      const created = await server.createRoomCLI('E2E CLI');
      assert.equal(created.room?.name, 'E2E CLI');
      assert.ok(created.room.id, 'the room has an id');
      assert.deepEqual(created.links.map((l) => l.role).sort(), ['operator', 'participant']);
      for (const link of created.links) {
        const u = new URL(link.url);
        assert.equal(u.pathname, `/room/${created.room.id}`, `link path of ${link.url}`);
        const token = tokenOf(link.url);
        assert.ok(token, `a token in ${link.url}`);
        const payload = payloadOf(token);
        assert.equal(payload.room, created.room.id, 'the token names its room');
        assert.equal(payload.role, link.role, 'the token carries the link role');
        assert.ok(Date.parse(link.expires_at) > Date.now(), `expires_at in the future: ${link.expires_at}`);

        const info = await joinInfo(server, created.room.id, token);
        assert.equal(info.status, 200, `join-info of a fresh ${link.role} link: ${JSON.stringify(info.body)}`);
        assert.equal(info.body.room?.id, created.room.id);
        assert.equal(info.body.role, link.role);
      }
    });
  });

  it('serves the room page with a Content-Security-Policy and nosniff, and the client runs under it', { timeout: 60_000 }, async (t) => {
    await withPeople(t, 'headers', async (people) => {
      const { server } = ctx;
      const created = await server.createRoomAPI('E2E headers');
      const url = server.linkURL(linkOfRole(created, 'participant'));

      const res = await server.request('GET', url);
      assert.equal(res.status, 200, `GET the room page: ${res.text.slice(0, 200)}`);
      assert.match(res.headers['content-type'] ?? '', /^text\/html/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const csp = res.headers['content-security-policy'] ?? '';
      assert.ok(csp.trim(), 'a Content-Security-Policy header');
      const scripts = directive(csp, 'script-src') ?? directive(csp, 'default-src');
      assert.ok(scripts, `the policy restricts scripts: ${csp}`);
      assert.doesNotMatch(scripts, /'unsafe-inline'|'unsafe-eval'|(^|\s)\*(\s|$)/, `script policy: ${csp}`);

      // Everything the page loads from vigie carries nosniff, and nothing it needs is blocked.
      const p = await Participant.launch('visitor');
      people.push(p);
      const responses = [];
      p.page.on('response', (r) => {
        if (r.url().startsWith(server.url)) responses.push(r);
      });
      await p.open(url);
      await p.page.locator('#display-name').waitFor({ state: 'visible' });
      const sniffable = responses
        .filter((r) => r.headers()['x-content-type-options'] !== 'nosniff')
        .map((r) => `${r.status()} ${r.url()}`);
      assert.deepEqual(sniffable, [], 'responses without X-Content-Type-Options: nosniff');
      assert.deepEqual(p.cspViolations(), [], 'Content-Security-Policy violations');
      assert.deepEqual(p.pageErrors(), [], 'uncaught errors in the page');
    });
  });

  it('refuses a damaged, foreign, expired or missing token, in the API and on the page', { timeout: 60_000 }, async (t) => {
    await withPeople(t, 'bad-tokens', async (people) => {
      const { server } = ctx;
      const [roomA, roomB, expiring] = await Promise.all([
        server.createRoomAPI('E2E A'),
        server.createRoomAPI('E2E B'),
        server.createRoomAPI('E2E expiring', { ttl: '2s' }),
      ]);
      const tokenA = tokenOf(linkOfRole(roomA, 'operator').url);
      const shortLink = linkOfRole(expiring, 'participant');
      const cases = [
        { what: 'a damaged signature', room: roomA.room.id, token: tamper(tokenA), code: 'token_invalid' },
        { what: "room A's token on room B", room: roomB.room.id, token: tokenA, code: 'token_wrong_room' },
        { what: 'an expired token', room: expiring.room.id, token: tokenOf(shortLink.url), code: 'token_expired' },
        { what: 'no token', room: roomA.room.id, token: null, code: 'token_missing' },
      ];
      await waitFor(() => Date.now() > Date.parse(shortLink.expires_at) + 1_500, {
        timeout: 15_000,
        what: `the 2 s link to expire (expires_at ${shortLink.expires_at})`,
      });

      for (const c of cases) {
        const info = await joinInfo(server, c.room, c.token);
        assert.ok(info.status >= 400, `join-info with ${c.what}: status ${info.status}`);
        assert.equal(info.body?.error?.code, c.code, `join-info with ${c.what}: ${JSON.stringify(info.body)}`);
      }

      const p = await Participant.launch('visitor');
      people.push(p);
      // The valid link first, so that the refusals below are not an error page shown to everyone.
      await p.open(server.linkURL(linkOfRole(roomA, 'operator')));
      const validError = p.page.locator('#prejoin-error');
      assert.ok(
        !(await validError.isVisible()) || !(await validError.innerText()).trim(),
        'no #prejoin-error on a valid link',
      );

      for (const c of cases) {
        const path = `/room/${encodeURIComponent(c.room)}` + (c.token === null ? '' : `?t=${c.token}`);
        await p.page.goto(server.url + path);
        const error = p.page.locator('#prejoin-error');
        await error.waitFor({ state: 'visible', timeout: 10_000 });
        const text = (await error.innerText()).trim();
        assert.ok(text, `#prejoin-error says something for ${c.what}`);
        t.diagnostic(`${c.what}: "${text.replace(/\s+/g, ' ')}"`);
        assert.equal(await joinUsable(p.page), false, `#join-button usable with ${c.what}`);
        assert.notEqual(await state(p.page), 'joined');
      }
    });
  });

  it('two browsers meet: they see and hear each other, chat, share a screen, and one leaves', { timeout: 120_000 }, async (t) => {
    await withPeople(t, 'meeting', async (people) => {
      const { server } = ctx;
      const created = await server.createRoomAPI('E2E');
      const [alpha, bravo] = await Promise.all([Participant.launch('alpha'), Participant.launch('bravo')]);
      people.push(alpha, bravo);
      // The operator is there first and already sending, as in an incident; the responder comes later.
      await alpha.join(server.linkURL(linkOfRole(created, 'operator')), 'Alpha Opérateur');
      await waitFor(async () => (await outboundVideo(alpha.page)) > 0, {
        timeout: 15_000,
        what: 'alpha: sending camera frames',
      });
      // Opening a link only shows the pre-join page: mail scanners open links too, and join nothing.
      const tilesBefore = await alpha.page.locator('.tile').count();
      await bravo.open(server.linkURL(linkOfRole(created, 'participant')));
      assert.equal(await alpha.page.locator('.tile').count(), tilesBefore, 'a link opened but not joined adds no tile');
      await bravo.enter('Bravo Pompiers');

      // Each sees a camera tile for the other, named by the name they typed.
      const tileOf = (viewer, name) => viewer.page.locator('.tile[data-source="camera"]', { hasText: name });
      await tileOf(alpha, 'Bravo Pompiers').waitFor({ state: 'visible', timeout: 20_000 });
      await tileOf(bravo, 'Alpha Opérateur').waitFor({ state: 'visible', timeout: 20_000 });
      const bravoId = await tileOf(alpha, 'Bravo Pompiers').getAttribute('data-participant');
      const alphaId = await tileOf(bravo, 'Alpha Opérateur').getAttribute('data-participant');
      assert.ok(bravoId && alphaId, 'a tile says whose it is (data-participant)');

      // Each decodes the other's video and receives the other's audio.
      for (const viewer of [alpha, bravo]) {
        await waitFor(async () => (await inboundVideo(viewer.page)) > 0, {
          timeout: 20_000,
          what: `${viewer.label}: a first decoded video frame`,
        });
      }
      const flows = await Promise.all(
        [alpha, bravo].flatMap((viewer) => [
          expectGrowth(() => inboundVideo(viewer.page), { by: 10, what: `${viewer.label}: frames decoded` }),
          expectGrowth(() => inboundAudio(viewer.page), { by: 10, what: `${viewer.label}: audio packets received` }),
        ]),
      );
      t.diagnostic(
        `alpha receives ${flows[0].perSecond} frames/s and ${flows[1].perSecond} audio packets/s; ` +
          `bravo ${flows[2].perSecond} frames/s and ${flows[3].perSecond} audio packets/s`,
      );

      // A chat message arrives once, as text: markup in it is shown, not interpreted.
      const text = `Rendez-vous porte <b>nord</b> & parking ${Date.now()}`;
      await openPanel(alpha.page, '#btn-chat', '#chat-input');
      await alpha.page.locator('#chat-input').fill(text);
      await alpha.page.locator('#chat-send').click();
      await openPanel(bravo.page, '#btn-chat', '#chat-messages');
      for (const viewer of [bravo, alpha]) {
        const shown = viewer.page.locator('#chat-messages .chat-message .chat-text', { hasText: text });
        await shown.first().waitFor({ state: 'visible', timeout: 10_000 });
        assert.equal(await shown.count(), 1, `${viewer.label} shows the message once`);
        assert.equal(await shown.textContent(), text);
        assert.equal(await shown.locator('b').count(), 0, 'chat markup is not interpreted');
      }

      // Alpha shares a screen: Bravo gets a second video, in a screen tile, which goes when it stops.
      await alpha.page.locator('#btn-screen').click();
      const screenTile = bravo.page.locator(`.tile[data-source="screen"][data-participant="${alphaId}"]`);
      await screenTile.waitFor({ state: 'visible', timeout: 20_000 });
      const decoding = await waitFor(
        async () => {
          const streams = await videoStreams(bravo.page);
          return streams.filter((frames) => frames > 0).length >= 2 && streams;
        },
        { timeout: 20_000, what: "bravo: decoding both alpha's camera and screen" },
      );
      t.diagnostic(`bravo decodes video streams with frames ${JSON.stringify(decoding)}`);
      await alpha.page.locator('#btn-screen').click();
      await screenTile.waitFor({ state: 'detached', timeout: 10_000 });

      // Bravo leaves: Alpha's tiles for Bravo go away.
      await bravo.page.locator('#btn-leave').click();
      await waitFor(async () => (await alpha.page.locator(`.tile[data-participant="${bravoId}"]`).count()) === 0, {
        timeout: 10_000,
        what: `alpha: no tile of bravo (${bravoId}) left`,
      });
      await waitFor(async () => (await state(bravo.page)) !== 'joined', {
        timeout: 10_000,
        what: "bravo: window.vigie.state no longer 'joined'",
      });

      for (const viewer of [alpha, bravo]) {
        assert.deepEqual(viewer.cspViolations(), [], `${viewer.label}: Content-Security-Policy violations`);
        assert.deepEqual(viewer.pageErrors(), [], `${viewer.label}: uncaught errors in the page`);
      }
    });
  });
});
