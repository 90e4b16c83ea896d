// A site camera, end to end: `vigie serve --demo` runs the camera simulator and shows its camera in
// the demonstration room; a real Chromium joins from the printed link and must see the camera's
// tile go live and decode its video, which arrives as the stream `camera-<id>` (docs/protocol.md).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Participant, expectGrowth, onFailure, waitFor } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

/**
 * cameraVideo runs in the page: the mids of the subscribe connection's video sections that belong
 * to a camera stream (a=msid:camera-<id>), and the framesDecoded and track of each.
 */
async function cameraVideo() {
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
      found.push({ camera: mids.get(r.mid), mid: r.mid, track: r.trackIdentifier, frames: r.framesDecoded ?? 0 });
    }
  });
  return found;
}

/** The frames decoded from camera streams so far. */
async function cameraFrames(page) {
  const streams = await page.evaluate(cameraVideo);
  return streams.reduce((sum, s) => sum + s.frames, 0);
}

describe('a site camera', () => {
  const ctx = { server: null };

  before(async () => {
    ctx.server = await startServer({ args: ['--demo'] });
  });

  after(async () => {
    await ctx.server?.stop();
  });

  it('appears in the demonstration room, goes live and plays its video', { timeout: 90_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('camera', { server: ctx.server, participants }, async () => {
      const url = await ctx.server.printedLink('participant');
      const p = await Participant.launch('responder');
      participants.push(p);
      await p.open(url);
      await p.page.locator('#display-name').fill('Pompiers');

      // The time measured below is meant for a camera that already plays, so give the demo camera
      // time to go live first: the server's log says when (only a hint; the state the page was
      // told at join is what the diagnostic reports).
      await waitFor(() => /"msg":"camera (status|state)".*"state":"live"/.test(ctx.server.log()), {
        timeout: 10_000,
        what: 'the server log saying a camera is live',
      }).catch(() => {});

      // From the click on Join to the first camera frame decoded, polled every 50 ms.
      const clicked = Date.now();
      await p.page.locator('#join-button').click();
      let firstFrameMs = -1;
      let atJoin = null;
      await waitFor(
        async () => {
          const [frames, cameras] = await Promise.all([
            cameraFrames(p.page),
            atJoin ? null : p.page.evaluate(() => window.vigie.cameras),
          ]);
          if (!atJoin && cameras && Object.keys(cameras).length > 0) atJoin = cameras;
          if (frames > 0) firstFrameMs = Date.now() - clicked;
          return firstFrameMs >= 0;
        },
        { timeout: 30_000, interval: 50, what: 'a first decoded frame of a camera stream' },
      );
      const states = Object.values(atJoin ?? {}).map((c) => `${c.id} ${c.state}`).join(', ');
      t.diagnostic(`first camera frame decoded ${firstFrameMs} ms after clicking Join (cameras at join: ${states || 'unknown'})`);

      // The tile: one per camera, no participant, the camera's name, a live badge.
      const tile = p.page.locator('.tile[data-camera][data-source="camera"]');
      await tile.first().waitFor({ state: 'visible' });
      const id = await tile.first().getAttribute('data-camera');
      assert.equal(await tile.first().getAttribute('data-participant'), null, 'a camera tile names no participant');
      const cameras = await p.page.evaluate(() => window.vigie.cameras);
      assert.ok(cameras[id], `window.vigie.cameras lists the tile's camera ${id}: ${JSON.stringify(cameras)}`);
      assert.equal(await tile.first().locator('.tile-name').textContent(), cameras[id].name);
      await waitFor(async () => (await tile.first().getAttribute('data-state')) === 'live', {
        timeout: 20_000,
        what: `camera ${id} tile in state live`,
      });
      const badge = tile.first().locator('.camera-badge');
      assert.ok(await badge.isVisible(), 'the live badge is shown');
      assert.match(await badge.innerText(), /^(LIVE|EN DIRECT)$/);
      assert.equal((await p.page.evaluate(() => window.vigie.cameras))[id]?.state, 'live');

      // Cameras come first in the grid.
      const first = await p.page.evaluate(() => document.querySelector('#tiles .tile')?.dataset.camera);
      assert.equal(first, id, 'the camera tile is the first tile of the grid');

      // The decoded stream is the one the camera's tile plays, and it keeps flowing.
      const streams = await p.page.evaluate(cameraVideo);
      const stream = streams.find((s) => s.camera === id);
      assert.ok(stream, `a video section with a=msid:camera-${id}: ${JSON.stringify(streams)}`);
      const shown = await tile.first().evaluate((el) => {
        const video = el.querySelector('video');
        const track = video.srcObject?.getVideoTracks()[0];
        return { track: track?.id, width: video.videoWidth, pictured: !el.classList.contains('video-off') };
      });
      assert.equal(shown.track, stream.track, 'the tile plays the camera stream\'s video track');
      await waitFor(() => tile.first().evaluate((el) => !el.classList.contains('video-off') && el.querySelector('video').videoWidth > 0), {
        timeout: 10_000,
        what: 'the camera picture shown in its tile',
      });
      const growth = await expectGrowth(() => cameraFrames(p.page), { by: 10, what: `camera ${id} frames decoded` });
      t.diagnostic(`camera ${id}: ${growth.perSecond} frames/s decoded`);

      assert.deepEqual(p.pageErrors(), [], 'uncaught errors in the page');
      assert.deepEqual(p.cspViolations(), [], 'Content-Security-Policy violations');
    });
  });
});
