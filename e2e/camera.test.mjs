// A site camera, end to end: `vigie serve --demo` runs the camera simulator and shows its camera in
// the demonstration room; a real Chromium joins from the printed link and must see the camera's
// tile go live and decode its video, which arrives as the stream `camera-<id>` (docs/protocol.md).
// The demo camera has a 640x360 sub-stream and a 1280x720 main stream in the same codec: a small
// tile must get the first, an enlarged one the second, switched without a freeze.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Participant, cameraFrames, cameraVideo, expectGrowth, onFailure, waitFor } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

/** One camera's inbound video ({frames, width, height, ...}), or null while there is none. */
async function cameraStream(page, id) {
  const streams = await page.evaluate(cameraVideo);
  return streams.find((s) => s.camera === id) ?? null;
}

/**
 * watchWidth samples a camera's decoded frames and width every 100 ms from now until its frames
 * are `width` wide and `after` more ms have passed. It returns the samples ({t, frames, width},
 * t in ms from the call) and when the width was first seen.
 */
async function watchWidth(page, id, { width, timeout = 10_000, after = 5_000 }) {
  const t0 = Date.now();
  const samples = [];
  let reachedAt = -1;
  for (;;) {
    const s = await cameraStream(page, id);
    const t = Date.now() - t0;
    if (s) samples.push({ t, frames: s.frames, width: s.width });
    if (reachedAt < 0 && s && s.width === width) reachedAt = t;
    if (reachedAt < 0 && t > timeout) {
      throw new Error(`camera ${id}: frames not ${width} wide within ${timeout} ms; last samples ${JSON.stringify(samples.slice(-5))}`);
    }
    if (reachedAt >= 0 && t >= reachedAt + after) return { samples, reachedAt };
    await sleep(100);
  }
}

/** slowest is the fewest frames decoded over any `span` ms of the samples, and where it starts. */
function slowest(samples, span = 2_000) {
  let min = Infinity;
  let at = -1;
  for (let i = 0; i < samples.length; i++) {
    const j = samples.findIndex((s) => s.t - samples[i].t >= span);
    if (j < 0) break;
    const grown = samples[j].frames - samples[i].frames;
    if (grown < min) {
      min = grown;
      at = samples[i].t;
    }
  }
  return { min, at };
}

/** The displayed width of a locator's element, in CSS pixels. */
function widthOf(locator) {
  return locator.evaluate((el) => Math.round(el.getBoundingClientRect().width));
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

  it('sends a small tile the sub-stream and an enlarged one the main stream, without a freeze', { timeout: 120_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('camera-quality', { server: ctx.server, participants }, async () => {
      // The operator is in the room first, so the responder's grid holds two tiles side by side:
      // on a 1280x800 page, each is under 640 px wide, a small tile.
      const operator = await Participant.launch('operator');
      participants.push(operator);
      await operator.join(await ctx.server.printedLink('operator'), 'Opérateur');
      const p = await Participant.launch('responder', { viewport: { width: 1280, height: 800 } });
      participants.push(p);
      await p.join(await ctx.server.printedLink('participant'), 'Pompiers');

      // join told the server which video codecs this browser can receive.
      const [join] = p.sentOfType('join');
      assert.ok(Array.isArray(join?.codecs), `join carries a codecs list: ${JSON.stringify(join?.codecs)}`);
      assert.ok(join.codecs.includes('video/H264'), `codecs include video/H264: ${join.codecs}`);
      assert.equal(new Set(join.codecs.map((c) => c.toLowerCase())).size, join.codecs.length, `codecs listed once each: ${join.codecs}`);
      assert.ok(join.codecs.every((c) => /^video\//.test(c)), `codecs are video mime types: ${join.codecs}`);
      t.diagnostic(`join codecs: ${join.codecs.join(' ')}`);

      const tile = p.page.locator('.tile[data-camera][data-source="camera"]').first();
      await tile.waitFor({ state: 'visible' });
      const id = await tile.getAttribute('data-camera');
      await waitFor(async () => (await cameraStream(p.page, id))?.frames > 0, {
        timeout: 30_000,
        what: `decoded frames of camera ${id}`,
      });

      // Small tile: the sub-stream, 640 wide.
      const smallWidth = await widthOf(tile);
      assert.ok(smallWidth <= 640, `the camera tile is small in a two-tile grid (${smallWidth} px wide)`);
      let last = null;
      await waitFor(async () => (last = await cameraStream(p.page, id))?.width === 640, {
        timeout: 10_000,
        what: () => `camera ${id} decoded 640 wide in a ${smallWidth} px tile (last: ${JSON.stringify(last)})`,
      });
      t.diagnostic(`small tile ${smallWidth} px wide: camera ${id} decoded at ${last.width}x${last.height}`);
      // The server starts on the sub-stream by itself; the tile still says so once its size has
      // held for a moment. A click before that would replace the wish before it went out.
      const askedFor = () => p.sentOfType('camera_quality').filter((m) => m.camera === id).map((m) => m.quality);
      await waitFor(() => askedFor().length > 0, { timeout: 5_000, what: () => `camera_quality for camera ${id}` });
      assert.deepEqual(askedFor(), ['sub'], 'the small tile asked for the sub-stream');

      // Enlarged: the main stream, 1280 wide, and the frames keep coming through the switch.
      await tile.click();
      const up = await watchWidth(p.page, id, { width: 1280 });
      const largeWidth = await widthOf(tile);
      assert.ok(largeWidth > 640, `the enlarged tile is large (${largeWidth} px wide)`);
      const upSlowest = slowest(up.samples);
      t.diagnostic(`enlarged tile ${largeWidth} px wide: 1280 wide frames ${up.reachedAt} ms after the click; ` +
        `fewest frames in 2 s from the click: ${upSlowest.min} (window at ${upSlowest.at} ms)`);
      assert.ok(upSlowest.min >= 10, `frames decoded over every 2 s after enlarging (fewest ${upSlowest.min} from ${upSlowest.at} ms): ${JSON.stringify(up.samples)}`);

      // Back to the grid: the sub-stream again.
      await tile.click();
      const down = await watchWidth(p.page, id, { width: 640 });
      const downSlowest = slowest(down.samples);
      t.diagnostic(`back to ${await widthOf(tile)} px: 640 wide frames ${down.reachedAt} ms after the click; ` +
        `fewest frames in 2 s from the click: ${downSlowest.min} (window at ${downSlowest.at} ms)`);
      assert.ok(downSlowest.min >= 10, `frames decoded over every 2 s after shrinking (fewest ${downSlowest.min} from ${downSlowest.at} ms): ${JSON.stringify(down.samples)}`);

      // One camera_quality per change, none repeated.
      assert.deepEqual(askedFor(), ['sub', 'main', 'sub'], 'camera_quality messages sent for the camera');

      assert.deepEqual(p.pageErrors(), [], 'uncaught errors in the page');
      assert.deepEqual(p.cspViolations(), [], 'Content-Security-Policy violations');
    });
  });

  it('says in words when the browser cannot decode a camera in H.265', { timeout: 60_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('camera-h265', { server: ctx.server, participants }, async () => {
      // The room page's own camera tiles, fed camera states by hand; the browser's receive
      // capabilities are made to lack, then to offer, H.265, whatever this Chromium really has.
      const p = await Participant.launch('viewer');
      participants.push(p);
      await p.open(await ctx.server.printedLink('participant'));
      await p.page.evaluate(async () => {
        const { CameraTile } = await import('/static/js/cameras.js');
        const real = RTCRtpReceiver.getCapabilities.bind(RTCRtpReceiver);
        window.h265 = {
          tiles: {},
          setH265(has) {
            RTCRtpReceiver.getCapabilities = (kind) => {
              const caps = real(kind);
              const codecs = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'video/h265');
              if (has && kind === 'video') codecs.push({ mimeType: 'video/H265', clockRate: 90000 });
              return { ...caps, codecs };
            };
          },
          add(id, video) {
            const tile = new CameraTile(document.getElementById('tpl-camera-tile'), id);
            document.body.append(tile.root);
            tile.setCamera({ id, name: id, state: 'live', video });
            this.tiles[id] = tile;
          },
          status(id) {
            return this.tiles[id].root.querySelector('.camera-card-status').textContent;
          },
        };
        window.h265.setH265(false);
        window.h265.add('h265', 'H265');
        window.h265.add('h264', 'H264');
      });
      const status = (id) => p.page.evaluate((id) => window.h265.status(id), id);
      const words = /H\.265/;
      assert.doesNotMatch(await status('h265'), words, 'no verdict the moment the camera is live');
      await waitFor(async () => words.test(await status('h265')), { timeout: 6_000, what: 'the H.265 sentence on the tile' });
      const sentence = await status('h265');
      assert.match(sentence, /Chrome (or|ou) Edge/);
      assert.match(sentence, /H\.264/);
      t.diagnostic(`H.265 tile says: ${sentence}`);
      assert.doesNotMatch(await status('h264'), words, 'an H.264 camera without frames is only awaited');

      // A browser that lists H.265 is given the benefit of the doubt.
      await p.page.evaluate(() => {
        window.h265.setH265(true);
        window.h265.add('h265-ok', 'H265');
      });
      await sleep(4_000);
      assert.doesNotMatch(await status('h265-ok'), words, 'no verdict where the browser lists video/H265');

      assert.deepEqual(p.pageErrors(), [], 'uncaught errors in the page');
      assert.deepEqual(p.cspViolations(), [], 'Content-Security-Policy violations');
    });
  });
});
