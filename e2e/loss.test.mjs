// A viewer on a lossy, slow network, with a real browser: 5% of the packets lost and 50 ms of
// delay each way between vigie and Chromium, each in its own network namespace (netem, or
// `vigie link-sim` where the kernel has no netem). Cameras cannot make a keyframe on request and
// send one every 4 s, so a lost packet the SFU does not send again freezes the picture until the
// next one: vigie answers the browser's NACKs from the camera's keyframe cache
// (sfu/retransmit.go). For 30 s the camera must keep decoding, every 2 s window; the freezes,
// NACKs and the loss left after repair are reported (t.diagnostic) and bounded.
// Needs root, iproute2 and nftables (scripts/test-deps.sh); fails without them.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Participant, cameraFrames, onFailure, waitFor } from './lib/browser.mjs';
import { setUp, tearDown } from './lib/netns.mjs';

const LOSS_PERCENT = 5;
const DELAY_MS = 50;
const PLAY_MS = 30_000;
const WINDOW_MS = 2_000;
// Bounds. Measured over 30 s (vigie link-sim, a 2-core machine shared with other builds): freeze
// ratio 5.9 to 9.8% in five runs, loss after repair 0 to 0.04%. The freezes left are losses
// repaired only by a second NACK (the NACK or the packet sent again lost too, about 1 in 10): two
// round trips, over 200 ms. With vigie's retransmissions turned off: 21 frames in 30 s, 13 windows
// of 15 without any, 5.4% lost after "repair". Room is left for a slower machine.
const MAX_FREEZE_RATIO = 0.2;
const MAX_LOSS_AFTER_REPAIR = 0.005;

/**
 * cameraInbound runs in the page: the inbound-rtp statistics of the camera's video on the
 * subscribe connection (the video section whose a=msid names camera-<id>), or null.
 */
async function cameraInbound() {
  const pc = window.vigie?.sub;
  if (!pc || !pc.remoteDescription) return null;
  const mids = new Set();
  for (const section of pc.remoteDescription.sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /\r?\na=mid:(\S+)/.exec(section);
    if (section.startsWith('video') && /\r?\na=msid:camera-/.test(section) && mid) mids.add(mid[1]);
  }
  let found = null;
  (await pc.getStats()).forEach((r) => {
    if (r.type !== 'inbound-rtp' || r.kind !== 'video' || !mids.has(r.mid)) return;
    found = {
      framesDecoded: r.framesDecoded ?? 0,
      keyFramesDecoded: r.keyFramesDecoded ?? 0,
      framesPerSecond: r.framesPerSecond ?? 0,
      freezeCount: r.freezeCount ?? 0,
      totalFreezesDuration: r.totalFreezesDuration ?? 0,
      nackCount: r.nackCount ?? 0,
      pliCount: r.pliCount ?? 0,
      packetsReceived: r.packetsReceived ?? 0,
      packetsLost: r.packetsLost ?? 0,
    };
  });
  return found;
}

describe(`a viewer behind ${LOSS_PERCENT}% loss and ${DELAY_MS} ms delay each way`, () => {
  let env;
  before(async () => {
    env = await setUp((ns) => ns.impair({ lossPercent: LOSS_PERCENT, delayMs: DELAY_MS }));
  });
  after(async () => {
    if (env) await tearDown(env);
  });

  it(`keeps decoding the camera for ${PLAY_MS / 1000} s, few freezes`, { timeout: 90_000 }, async (t) => {
    const participants = [];
    t.after(() => Promise.all(participants.map((p) => p.close())));
    await onFailure('loss', { server: env.server, participants }, async () => {
      const p = await Participant.launch('loss', { executablePath: env.chromium });
      participants.push(p);
      await p.open(env.link);
      await p.page.locator('#display-name').fill('Gendarmerie');
      await p.page.locator('#join-button').click();
      await waitFor(async () => (await cameraFrames(p.page)) > 0, {
        timeout: 30_000, interval: 50, what: 'a first decoded frame of the camera',
      });

      const first = await p.page.evaluate(cameraInbound);
      const t0 = Date.now();
      const samples = [first];
      let previous = first;
      const windows = [];
      while (Date.now() - t0 < PLAY_MS) {
        await sleep(WINDOW_MS); // a sampling period, not a wait for a condition
        const now = await p.page.evaluate(cameraInbound);
        windows.push(now.framesDecoded - previous.framesDecoded);
        samples.push(now);
        previous = now;
      }
      const last = previous;
      const seconds = (Date.now() - t0) / 1000;
      const freezes = last.freezeCount - first.freezeCount;
      const frozen = last.totalFreezesDuration - first.totalFreezesDuration;
      const freezeRatio = frozen / seconds;
      const received = last.packetsReceived - first.packetsReceived;
      const lost = last.packetsLost - first.packetsLost;
      const lossAfterRepair = Math.max(lost, 0) / (received + Math.max(lost, 0));
      const fps = samples.slice(1).map((s) => s.framesPerSecond);
      t.diagnostic(
        `${env.prepared}, ${LOSS_PERCENT}% loss and ${DELAY_MS} ms each way, ${seconds.toFixed(1)} s: ` +
          `${last.framesDecoded - first.framesDecoded} frames decoded (${windows.join(' ')} per ${WINDOW_MS / 1000} s), ` +
          `framesPerSecond ${Math.min(...fps)} to ${Math.max(...fps)}, ` +
          `${freezes} freezes for ${frozen.toFixed(2)} s (freeze ratio ${(100 * freezeRatio).toFixed(1)}%), ` +
          `nackCount ${last.nackCount - first.nackCount}, pliCount ${last.pliCount - first.pliCount}, ` +
          `keyframes ${last.keyFramesDecoded - first.keyFramesDecoded}, ` +
          `packetsLost ${lost} of ${received + Math.max(lost, 0)} after repair (${(100 * lossAfterRepair).toFixed(2)}%)`,
      );
      await p.close();
      for (const line of await env.ns.linkCounts()) t.diagnostic(line);

      const stalled = windows.flatMap((n, i) => (n > 0 ? [] : [i + 1]));
      assert.deepEqual(stalled, [], `no camera frame decoded in ${WINDOW_MS / 1000} s windows ${stalled.join(', ')} of ${windows.length}`);
      assert.ok(last.nackCount > first.nackCount, 'the browser sent no NACK: was there any loss?');
      assert.ok(freezeRatio < MAX_FREEZE_RATIO, `frozen ${(100 * freezeRatio).toFixed(1)}% of the time, more than ${100 * MAX_FREEZE_RATIO}%`);
      assert.ok(
        lossAfterRepair < MAX_LOSS_AFTER_REPAIR,
        `${(100 * lossAfterRepair).toFixed(2)}% of the camera's packets lost after NACK repair, more than ${100 * MAX_LOSS_AFTER_REPAIR}%`,
      );
    });
  });
});
