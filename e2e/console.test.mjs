// The operator console, end to end: vigie started from a configuration with one operator, one
// site and one contact, and Mailpit as the mail server, so that each invitation is really
// accepted for delivery and turns "sent". Chromium logs in, raises a hold-up for the site, watches the invitation turn
// "sent", invites one more person from the incident's card, and closes the incident; the admin
// API and the server's log agree at each step.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Participant, onFailure, waitFor } from './lib/browser.mjs';
import { Mailpit } from './lib/process.mjs';
import { startWithConfig, stopWithConfig } from './lib/server.mjs';

const USERNAME = 'operatrice';
const PASSWORD = 'vigie-console-e2e';
// bcrypt, cost 10, of PASSWORD (golang.org/x/crypto/bcrypt.GenerateFromPassword).
const HASH = '$2a$10$FQsrAJ8phoIs//we4KeQzOpTr5roex.AUTwAIgKZ/hWzROR99.vWm';
const OPERATOR = 'Opératrice Test';
const SITE = 'Bureau de poste de Joliette';
const CONTACT = 'Capitaine Dupont';
const REINFORCEMENT = 'renfort@police.example';

const config = (smtpPort) => `smtp:
  host: 127.0.0.1
  port: ${smtpPort}
  tls: none
  from: "vigie <alerte@vigie.test>"
operators:
  - username: ${USERNAME}
    name: "${OPERATOR}"
    password_hash: '${HASH}'
contacts:
  - {id: dupont, name: "${CONTACT}", email: "dupont@police.example"}
sites:
  - id: joliette
    name: "${SITE}"
    address: "10 place de la Joliette, 13002 Marseille"
    committee: [dupont]
`;

/** Text on screen with French typography (no-break spaces, curly apostrophes) made plain. */
function plain(text) {
  return String(text).replace(/[\u00a0\u202f]/g, ' ').replace(/\u2019/g, "'").replace(/\s+/g, ' ').trim();
}

async function screen(page) {
  return page.evaluate(() => document.body.dataset.screen);
}

/** login fills the login form and waits for the screen it leads to. */
async function login(page, username, password, expected) {
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  if (expected === 'dashboard') {
    await waitFor(async () => (await screen(page)) === 'dashboard', { what: 'the dashboard after logging in' });
  }
}

/** How many invitations the console has forwarded, by the server's log. */
function invitesLogged(server) {
  return server.log().split('\n').filter((line) => line.includes('"msg":"console: invite one more"')).length;
}

/** Open incidents as the admin API lists them. */
async function openIncidents(server) {
  const res = await server.request('GET', '/api/v1/incidents', {
    headers: { authorization: `Bearer ${await server.adminKey()}` },
  });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text).incidents;
}

describe('the operator console', () => {
  const ctx = { server: null, participants: [], tmp: '', mail: null };

  before(async () => {
    ctx.mail = await Mailpit.start();
    await startWithConfig(ctx, 'console', config(ctx.mail.smtpPort));
  });
  after(async () => {
    try {
      await stopWithConfig(ctx);
    } finally {
      await ctx.mail?.stop();
    }
  });

  it('logs in, raises an alarm, sees the invitation sent, invites one more and closes the incident', { timeout: 120_000 }, async (t) => {
    await onFailure('console', ctx, async () => {
      const op = await Participant.launch('operator', { locale: 'fr-FR' });
      ctx.participants.push(op);
      const { page } = op;
      await page.goto(`${ctx.server.url}/console`);
      await waitFor(async () => (await screen(page)) === 'login', { what: 'the login page' });
      assert.equal(plain(await page.locator('#login h1').textContent()), 'Console opérateur');

      // A wrong password is refused in words, and gives no session.
      await login(page, USERNAME, 'not the password');
      await page.locator('#login-error').waitFor({ state: 'visible' });
      assert.match(plain(await page.locator('#login-error').textContent()), /incorrect/);
      assert.equal(await screen(page), 'login');

      await login(page, USERNAME, PASSWORD, 'dashboard');
      assert.equal(await page.locator('#operator-name').textContent(), OPERATOR);
      const site = page.locator('#sites li[data-site="joliette"]');
      assert.equal(await site.locator('.site-name').textContent(), SITE);
      await page.locator('#incidents-empty').waitFor({ state: 'visible' });

      // Raise: the button asks first, hold-up chosen by default.
      await site.locator('[data-action="raise"]').click();
      await page.locator('#raise-dialog[open]').waitFor();
      assert.equal(await page.locator('#raise-site').textContent(), SITE);
      assert.equal(await page.locator('#raise-form input[name="kind"]:checked').getAttribute('value'), 'holdup');
      assert.equal((await openIncidents(ctx.server)).length, 0, 'nothing is raised before the confirmation');
      await page.locator('#raise-confirm').click();

      const card = page.locator('article.incident');
      await card.waitFor({ state: 'visible' });
      assert.equal(await card.getAttribute('data-kind'), 'holdup');
      assert.equal(plain(await card.locator('.kind-badge').textContent()), 'Agression / hold-up');
      assert.equal(await card.locator('.incident-site').textContent(), SITE);
      const room = card.locator('a[data-action="room"]');
      assert.equal(await room.getAttribute('target'), '_blank');
      assert.match(await room.getAttribute('href'), /\/room\/r_[a-z0-9]+\?t=/);

      // The invitation turns "sent" by itself (the page refreshes every 2 s).
      const row = card.locator('tr.invitation');
      await waitFor(async () => (await row.getAttribute('data-state')) === 'sent', {
        timeout: 15_000,
        what: async () => `the invitation "sent" (state ${await row.getAttribute('data-state')})`,
      });
      assert.equal(await row.locator('.inv-name').textContent(), CONTACT);
      assert.equal(plain(await row.locator('.state-words').textContent()), 'Envoyée');
      assert.equal(await site.getAttribute('data-open'), 'yes');

      const [incident] = await openIncidents(ctx.server);
      assert.equal(incident.site, 'joliette');
      assert.equal(incident.kind, 'holdup');
      assert.equal(incident.invitations[0].state, 'sent');
      // The server names the operator, not a generic one.
      assert.match(ctx.server.log(), /"msg":"console: raise alarm".*"operator":"operatrice"/);
      assert.match(ctx.server.log(), /"msg":"incident opened".*"source":"operator:operatrice"/);

      // Invite one more person: a form folded at the bottom of the card, role and language preset.
      const invite = card.locator('details.invite');
      assert.equal(plain(await invite.locator('summary').textContent()), 'Inviter une personne');
      const form = invite.locator('form.invite-form');
      assert.equal(await form.isVisible(), false, 'the form is folded until asked for');
      await invite.locator('summary').click();
      await form.waitFor({ state: 'visible' });
      const email = form.locator('input[name="email"]');
      // The page focuses the field when the folded form opens (its toggle event comes after the click).
      const focused = await page.waitForFunction(() => document.activeElement?.name === 'email', null, { timeout: 5000 })
        .then(() => true, () => false);
      assert.ok(focused, 'opening the form puts the cursor in it');
      assert.equal(await form.locator('select[name="role"]').inputValue(), 'responder');
      assert.equal(await form.locator('select[name="language"]').inputValue(), 'fr', 'the e-mail is in the page language');
      await page.evaluate(() => {
        window.inviteFormSeen = document.querySelector('form.invite-form');
      });

      // A bad address: the server refuses it, the form says so in words, nobody is invited.
      await email.fill('renfort.police.example');
      await form.locator('button[type="submit"]').click();
      const error = form.locator('.invite-error');
      await error.waitFor({ state: 'visible' });
      assert.equal(plain(await error.textContent()), "« renfort.police.example » n'est pas une adresse e-mail valable.");
      assert.equal(await email.getAttribute('aria-invalid'), 'true');
      assert.match(ctx.server.log(), /"msg":"console: invite one more".*"operator":"operatrice".*"status":400/);
      assert.equal((await openIncidents(ctx.server))[0].invitations.length, 1);

      // The right address, as an observer: typing clears the error, the form says it is done.
      await email.fill(REINFORCEMENT);
      await error.waitFor({ state: 'hidden' });
      await form.locator('input[name="name"]').fill('Lieutenant Renfort');
      await form.locator('select[name="role"]').selectOption('observer');
      await form.locator('button[type="submit"]').click();
      const done = form.locator('.invite-done');
      await done.waitFor({ state: 'visible' });
      assert.match(plain(await done.textContent()), /^Invitation créée pour Lieutenant Renfort : /);
      assert.equal(await email.inputValue(), '', 'the form is ready for someone else');
      assert.equal(await email.getAttribute('aria-invalid'), null);

      // Something typed while the list refreshes stays, focus included, and the new invitation turns "sent".
      await email.pressSequentially(REINFORCEMENT);
      const added = card.locator('tr.invitation', { has: page.locator('.inv-email', { hasText: REINFORCEMENT }) });
      await waitFor(async () => (await added.getAttribute('data-state')) === 'sent', {
        timeout: 15_000,
        what: 'the new invitation "sent"',
      });
      assert.equal(await card.locator('tr.invitation').count(), 2);
      assert.equal(await added.locator('.inv-name').textContent(), 'Lieutenant Renfort');
      assert.equal(plain(await added.locator('.inv-role').textContent()), 'Observateur');
      assert.equal(plain(await added.locator('.state-words').textContent()), 'Envoyée');
      assert.equal(await email.inputValue(), REINFORCEMENT);
      assert.ok(await page.evaluate(() => document.querySelector('form.invite-form') === window.inviteFormSeen &&
        document.activeElement.name === 'email'), 'the form and its focus survive the refreshes');

      // The same address again: said at once, and not sent.
      const before = invitesLogged(ctx.server);
      await form.locator('button[type="submit"]').click();
      await error.waitFor({ state: 'visible' });
      assert.equal(plain(await error.textContent()), `${REINFORCEMENT} figure déjà dans la liste de cet incident (Envoyée).`);
      assert.equal(invitesLogged(ctx.server), before);

      const [withMore] = await openIncidents(ctx.server);
      const more = withMore.invitations.find((v) => v.email === REINFORCEMENT);
      assert.ok(more, JSON.stringify(withMore.invitations));
      assert.equal(more.role, 'observer');
      assert.equal(more.state, 'sent');
      assert.equal(more.name, 'Lieutenant Renfort');
      assert.match(ctx.server.log(), /"msg":"console: invite one more".*"operator":"operatrice".*"status":204/);

      // Close, after a confirmation.
      await card.locator('[data-action="close"]').click();
      await page.locator('#confirm-dialog[open]').waitFor();
      assert.match(plain(await page.locator('#confirm-text').textContent()), new RegExp(SITE));
      await page.locator('#confirm-ok').click();
      await page.locator('#incidents-empty').waitFor({ state: 'visible' });
      assert.equal(await card.count(), 0);
      assert.deepEqual(await openIncidents(ctx.server), []);
      assert.match(ctx.server.log(), /"msg":"console: close incident".*"operator":"operatrice".*"status":204/);

      // Log out: the session is gone for the server too.
      await page.locator('#logout').click();
      await waitFor(async () => (await screen(page)) === 'login', { what: 'the login page after logging out' });
      const status = await page.evaluate(async () => (await fetch('/console/api/session')).status);
      assert.equal(status, 401);

      assert.deepEqual(op.pageErrors(), []);
      assert.deepEqual(op.cspViolations(), []);
      t.diagnostic(`incident ${incident.id} raised and closed from the console`);
    });
  });

  it('fits a phone screen', { timeout: 60_000 }, async () => {
    await onFailure('console-phone', ctx, async () => {
      const op = await Participant.launch('phone', { viewport: { width: 390, height: 844 }, locale: 'en-GB' });
      ctx.participants.push(op);
      const { page } = op;
      await page.goto(`${ctx.server.url}/console`);
      await waitFor(async () => (await screen(page)) === 'login', { what: 'the login page' });
      assert.equal(plain(await page.locator('#login h1').textContent()), 'Operator console');
      // An incident raised elsewhere (the admin API) shows up by itself, invitations stacked.
      const raised = await ctx.server.request('POST', '/api/v1/incidents', {
        headers: { authorization: `Bearer ${await ctx.server.adminKey()}` },
        body: { site: 'joliette', kind: 'panic' },
      });
      assert.equal(raised.status, 201, raised.text);
      await login(page, USERNAME, PASSWORD, 'dashboard');
      await page.locator('article.incident[data-kind="panic"] tr.invitation').waitFor({ state: 'visible' });
      const raise = page.locator('#sites li[data-site="joliette"] [data-action="raise"]');
      assert.equal(plain(await raise.textContent()), 'Raise alarm');
      const box = await raise.boundingBox();
      assert.ok(box.height >= 40, `the alarm button is ${box.height} px high: too small to tap`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.equal(overflow, 0, 'the page scrolls sideways');
      // The invitation form, opened, fits too, in English and with buttons big enough to tap.
      const invite = page.locator('article.incident[data-kind="panic"] details.invite');
      assert.equal(plain(await invite.locator('summary').textContent()), 'Invite someone');
      await invite.locator('summary').click();
      const submit = invite.locator('button[type="submit"]');
      await submit.waitFor({ state: 'visible' });
      assert.equal(plain(await submit.textContent()), 'Invite');
      assert.equal(await invite.locator('select[name="language"]').inputValue(), 'en');
      assert.ok((await submit.boundingBox()).height >= 40, 'the invite button is too small to tap');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0,
        'the open invitation form makes the page scroll sideways');
      const closed = await ctx.server.request('POST', `/api/v1/incidents/${JSON.parse(raised.text).id}/close`, {
        headers: { authorization: `Bearer ${await ctx.server.adminKey()}` },
      });
      assert.equal(closed.status, 204, closed.text);
      await page.locator('#incidents-empty').waitFor({ state: 'visible' });
      assert.deepEqual(op.pageErrors(), []);
      assert.deepEqual(op.cspViolations(), []);
    });
  });

  it('refuses changes without its header, and its API without a session', async () => {
    const res = await ctx.server.request('POST', '/console/login', { body: { username: USERNAME, password: PASSWORD } });
    assert.equal(res.status, 403, res.text);
    assert.equal(JSON.parse(res.text).error.code, 'forbidden');
    for (const [method, p] of [['GET', '/console/api/incidents'], ['GET', '/console/api/sites']]) {
      const r = await ctx.server.request(method, p);
      assert.equal(r.status, 401, `${method} ${p}: ${r.text}`);
    }
    const ok = await ctx.server.request('POST', '/console/login', {
      headers: { 'x-vigie-console': '1' },
      body: { username: USERNAME, password: PASSWORD },
    });
    assert.equal(ok.status, 200, ok.text);
    const cookie = ok.headers['set-cookie'].join('; ');
    assert.match(cookie, /^__Host-vigie_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict/);
  });
});
