// Evidence export from the operator console, end to end: Chromium logs in, raises an alarm,
// sees the signing key's fingerprint, clicks "Exporter les preuves" on the incident's card and
// gets a zip that `vigie evidence verify` accepts against the server's key, exported in the
// operator's name. (Tampering is covered by the Go tests of package evidence.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Participant, onFailure, waitFor } from './lib/browser.mjs';
import { binary, startWithConfig, stopWithConfig } from './lib/server.mjs';

const run = promisify(execFile);
const USERNAME = 'operatrice';
const PASSWORD = 'vigie-console-e2e';
// bcrypt, cost 10, of PASSWORD (the same as console.test.mjs).
const HASH = '$2a$10$FQsrAJ8phoIs//we4KeQzOpTr5roex.AUTwAIgKZ/hWzROR99.vWm';
const CONFIG = `operators:
  - username: ${USERNAME}
    name: "Opératrice Test"
    password_hash: '${HASH}'
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example"}
sites:
  - id: joliette
    name: "Bureau de poste de Joliette"
    committee: [dupont]
`;

describe('evidence export from the console', () => {
  const ctx = { server: null, participants: [], tmp: '' };

  before(() => startWithConfig(ctx, 'evidence', CONFIG));
  after(() => stopWithConfig(ctx));

  it('downloads a signed bundle that verifies against the server key', { timeout: 120_000 }, async () => {
    await onFailure('evidence', ctx, async () => {
      const op = await Participant.launch('operator', { locale: 'fr-FR' });
      ctx.participants.push(op);
      const { page } = op;
      await page.goto(`${ctx.server.url}/console`);
      await page.locator('#login-username').fill(USERNAME);
      await page.locator('#login-password').fill(PASSWORD);
      await page.locator('#login-submit').click();
      await waitFor(async () => (await page.evaluate(() => document.body.dataset.screen)) === 'dashboard', {
        what: 'the dashboard',
      });

      const { stdout: keyOut } = await run(binary, ['evidence', 'key', '--data', ctx.server.dataDir]);
      const [publicKey, , ...fp] = keyOut.trim().split(/\s+/);
      const fingerprint = fp.join(' ');
      const keyLine = page.locator('#evidence-key');
      await keyLine.waitFor({ state: 'visible' });
      assert.ok((await keyLine.textContent()).includes(fingerprint), `key line shows ${fingerprint}`);
      assert.equal(await keyLine.getAttribute('title'), publicKey);

      await page.locator('#sites li[data-site="joliette"] [data-action="raise"]').click();
      await page.locator('#raise-confirm').click();
      const link = page.locator('article.incident a[data-action="evidence"]');
      await link.waitFor({ state: 'visible' });
      assert.equal((await link.textContent()).trim(), 'Exporter les preuves');

      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      assert.match(download.suggestedFilename(), /^evidence-i_[a-z0-9]+\.zip$/);
      const bundle = path.join(ctx.tmp, 'bundle.zip');
      await download.saveAs(bundle);

      const { stdout } = await run(binary, ['evidence', 'verify', bundle, '--key', publicKey]);
      assert.match(stdout, /OK: intact and signed by the expected key/);
      assert.match(stdout, /by operator:operatrice/);
    });
  });
});
