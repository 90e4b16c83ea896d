// Files shared in a room, end to end: one browser uploads an image through the files panel, the
// other sees its preview appear (file_shared), and downloads exactly the same bytes.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Participant, onFailure, waitFor } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

function linkOfRole(created, role) {
  const link = created.links.find((l) => l.role === role);
  assert.ok(link, `a ${role} link among ${JSON.stringify(created.links)}`);
  return link;
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** A PNG drawn by the browser itself: real image bytes, different at each run. */
async function drawPNG(page) {
  const dataURL = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const g = canvas.getContext('2d');
    g.fillStyle = '#1a73e8';
    g.fillRect(0, 0, 320, 180);
    g.fillStyle = '#fff';
    g.font = '28px sans-serif';
    g.fillText(`caisse ${Date.now()}`, 20, 100);
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataURL.split(',')[1], 'base64');
}

describe('files in a room', () => {
  const ctx = { server: null };

  before(async () => {
    ctx.server = await startServer();
  });

  after(async () => {
    await ctx.server?.stop();
  });

  it('an image uploaded by one is previewed by the other, who downloads the same bytes', { timeout: 90_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('files-share', { server: ctx.server, participants }, async () => {
      const { server } = ctx;
      const created = await server.createRoomAPI('E2E files');
      const uploader = await Participant.launch('uploader');
      const viewer = await Participant.launch('viewer');
      participants.push(uploader, viewer);
      await uploader.join(server.linkURL(linkOfRole(created, 'operator')), 'Opératrice');
      await viewer.join(server.linkURL(linkOfRole(created, 'participant')), 'Gendarme');

      const png = await drawPNG(uploader.page);
      const name = 'entrée caisse.png';
      await uploader.page.locator('#btn-files').click();
      await uploader.page.locator('#files-add').waitFor({ state: 'visible' });
      await uploader.page.locator('#files-input').setInputFiles({ name, mimeType: 'image/png', buffer: png });

      // The other browser is told at once: the badge counts the new file.
      const badge = viewer.page.locator('#files-new');
      await badge.waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await badge.textContent(), '1');
      await viewer.page.locator('#btn-files').click();
      const item = viewer.page.locator('#files-list .file-item').first();
      await item.waitFor({ state: 'visible' });
      assert.equal(await item.locator('.file-name').textContent(), name);
      assert.match(await item.locator('.file-meta').textContent(), /Opératrice/);

      // The preview is the image itself, decoded by the browser.
      await waitFor(
        () => item.locator('img.file-image').evaluate((img) => img.complete && img.naturalWidth === 320 && img.naturalHeight === 180),
        { timeout: 15_000, what: 'the viewer decodes the 320x180 preview' },
      );

      const [download] = await Promise.all([
        viewer.page.waitForEvent('download', { timeout: 15_000 }),
        item.locator('a.file-download').click(),
      ]);
      assert.equal(download.suggestedFilename(), name);
      const got = await readFile(await download.path());
      assert.equal(got.length, png.length, 'downloaded size');
      assert.equal(sha256(got), sha256(png), 'the downloaded bytes are the uploaded ones');

      // The uploader's own list shows the file, without counting it as new.
      await uploader.page.locator('#files-list .file-item').first().waitFor({ state: 'visible' });
      assert.equal(await uploader.page.locator('#files-new').isVisible(), false);
    });
  });
});

describe('files over the limit, and withdrawn files', () => {
  const ctx = { server: null };

  before(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-files-'));
    const config = path.join(dir, 'vigie.yaml');
    await writeFile(config, 'files:\n  max_size: 1KiB\n');
    ctx.server = await startServer({ args: ['--config', config] });
  });

  after(async () => {
    await ctx.server?.stop();
  });

  it('says in plain French that a file is too large, and a withdrawn file leaves every list', { timeout: 90_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('files-limit', { server: ctx.server, participants }, async () => {
      const { server } = ctx;
      const created = await server.createRoomAPI('E2E files limit');
      const operator = await Participant.launch('operator');
      const gendarme = await Participant.launch('gendarme', { locale: 'fr-FR' });
      participants.push(operator, gendarme);
      await operator.join(server.linkURL(linkOfRole(created, 'operator')), 'Opérateur');
      await gendarme.join(server.linkURL(linkOfRole(created, 'participant')), 'Gendarme');

      await gendarme.page.locator('#btn-files').click();
      await gendarme.page.locator('#files-input').setInputFiles({ name: 'film.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(2048, 1) });
      const error = gendarme.page.locator('#files-errors .file-error').first();
      await error.waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await error.textContent(), '\u00ab\u00a0film.mp4\u00a0\u00bb\u00a0: ce fichier dépasse 1 Ko.');
      assert.equal(await gendarme.page.locator('#files-list .file-item').count(), 0, 'nothing was shared');

      await gendarme.page.locator('#files-input').setInputFiles({ name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('RAS\n') });
      await operator.page.locator('#files-new').waitFor({ state: 'visible', timeout: 15_000 });
      await operator.page.locator('#btn-files').click();
      // The confirmation is answered yes by the test browser (lib/browser.mjs).
      await operator.page.locator('#files-list .file-item .file-withdraw').first().click();
      await waitFor(async () => (await gendarme.page.locator('#files-list .file-item').count()) === 0,
        { timeout: 15_000, what: 'the withdrawn file leaves the other list (file_withdrawn)' });
      assert.equal(await operator.page.locator('#files-list .file-item').count(), 0);
    });
  });
});
