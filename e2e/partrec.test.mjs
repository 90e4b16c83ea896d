// Participants recorded, with a real browser: vigie runs with `recording.participants: true`;
// Chromium (fake camera and microphone) joins an incident's room, is told "Enregistrement en
// cours" and sends for a few seconds; once the incident is closed, its camera and microphone
// are on disk in a format ffprobe reads. A room made by hand (no incident) shows no notice and
// records nothing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Participant, expectGrowth, onFailure, outboundVideo } from './lib/browser.mjs';
import { startWithConfig, stopWithConfig } from './lib/server.mjs';

const run = promisify(execFile);
const CONFIG = `recording:
  participants: true
contacts:
  - {id: dupont, name: "Capitaine Dupont", email: "dupont@police.example"}
sites:
  - id: joliette
    name: "Bureau de poste de Joliette"
    committee: [dupont]
`;

/** probe is ffprobe's codec, packet count and duration (seconds) of a file's first stream. */
async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries',
    'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', file]);
  const res = JSON.parse(stdout);
  return { codec: res.streams[0]?.codec_name, packets: Number(res.streams[0]?.nb_read_packets), seconds: Number(res.format?.duration) };
}

describe('participants recorded', () => {
  const ctx = { server: null, participants: [], tmp: '' };

  before(() => startWithConfig(ctx, 'partrec', CONFIG));
  after(() => stopWithConfig(ctx));

  it('tells the participant and writes their camera and microphone', { timeout: 120_000 }, async (t) => {
    await onFailure('partrec', ctx, async () => {
      const { server } = ctx;
      const auth = { authorization: `Bearer ${await server.adminKey()}` };
      const res = await server.request('POST', '/api/v1/incidents', { headers: auth, body: { site: 'joliette' } });
      assert.equal(res.status, 201, res.text);
      const inc = JSON.parse(res.text);

      const lea = await Participant.launch('lea', { locale: 'fr-FR' });
      ctx.participants.push(lea);
      await lea.join(server.linkURL({ url: inc.operator_url }), 'Léa Martin');
      const notice = lea.page.locator('#recording-notice');
      await notice.waitFor({ state: 'visible' });
      assert.equal((await notice.textContent()).trim(), 'Enregistrement en cours');
      await expectGrowth(() => outboundVideo(lea.page), { by: 30, what: 'frames encoded by the browser' });
      await lea.page.waitForTimeout(3_000); // a few more seconds on disk
      const closed = await server.request('POST', `/api/v1/incidents/${inc.id}/close`, { headers: auth });
      assert.equal(closed.status, 204, closed.text);

      const root = path.join(server.dataDir, 'recordings', inc.id, 'participants');
      const folders = await readdir(root);
      assert.equal(folders.length, 1, `participants' folders: ${folders}`);
      assert.match(folders[0], /^Léa_Martin-/);
      const files = await readdir(path.join(root, folders[0]));
      const found = {};
      for (const name of files) {
        found[name.replace(/^\d{8}T\d{6}Z(-\d+)?-/, '')] = await probe(path.join(root, folders[0], name));
      }
      t.diagnostic(`recorded: ${JSON.stringify(found)}`);
      const video = found['camera.ivf'] || found['camera.mp4'];
      const audio = found['microphone.ogg'];
      assert.ok(video && ['vp8', 'h264'].includes(video.codec) && video.seconds >= 2, `camera file: ${JSON.stringify(found)}`);
      // Chrome's fake camera sends 20 to 30 frames a second: frames lost to a wrong gap would show.
      assert.ok(video.packets >= video.seconds * 10, `camera frames: ${JSON.stringify(found)}`);
      assert.ok(audio && audio.codec === 'opus' && audio.seconds >= 2, `microphone file: ${JSON.stringify(found)}`);

      // A room made by hand is no incident's: no notice, nothing recorded.
      const room = await server.createRoomAPI('Réunion');
      const link = room.links.find((l) => l.role === 'participant');
      assert.ok(link, `a participant link among ${JSON.stringify(room.links)}`);
      const bob = await Participant.launch('bob', { locale: 'fr-FR' });
      ctx.participants.push(bob);
      await bob.join(server.linkURL(link), 'Bob');
      await expectGrowth(() => outboundVideo(bob.page), { by: 30, what: 'frames encoded in the plain room' });
      assert.equal(await bob.page.locator('#recording-notice').isVisible(), false);
      assert.equal(existsSync(path.join(server.dataDir, 'recordings', room.room.id, 'participants')), false);
    });
  });
});
