// The test browser itself, without vigie: Debian Chromium starts through playwright-core, its fake
// camera and microphone give live tracks, and the statistics readers see frames and packets flow.
// When this file fails, the room tests cannot pass either, and the cause is the machine.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Participant, expectGrowth, inboundAudio, inboundVideo, onFailure } from './lib/browser.mjs';

// Two peer connections inside one page send the fake camera and microphone to each other, and the
// receiving one is exposed where the vigie client exposes its subscribe connection.
const LOOPBACK_PAGE = `<!doctype html><meta charset="utf-8"><title>loopback</title>
<script type="module">
const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
const pub = new RTCPeerConnection(), sub = new RTCPeerConnection();
pub.onicecandidate = (e) => e.candidate && sub.addIceCandidate(e.candidate);
sub.onicecandidate = (e) => e.candidate && pub.addIceCandidate(e.candidate);
for (const track of media.getTracks()) pub.addTrack(track, media);
await pub.setLocalDescription();
await sub.setRemoteDescription(pub.localDescription);
await sub.setLocalDescription();
await pub.setRemoteDescription(sub.localDescription);
window.tracks = media.getTracks().map((t) => ({ kind: t.kind, state: t.readyState, label: t.label }));
window.vigie = { pub, sub, state: 'joined' };
</script>`;

describe('the test browser', () => {
  let web;
  let url;
  const ctx = { participants: [] };

  before(async () => {
    // http://127.0.0.1 is a secure context, as getUserMedia requires; a data: URL is not.
    web = http.createServer((_, res) => res.end(LOOPBACK_PAGE));
    await new Promise((resolve) => web.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${web.address().port}/`;
  });

  after(async () => {
    await Promise.all(ctx.participants.map((p) => p.close()));
    await new Promise((resolve) => web.close(resolve));
  });

  it('starts Debian Chromium with live fake devices and readable WebRTC statistics', { timeout: 60_000 }, async (t) => {
    await onFailure('browser', ctx, async () => {
      const p = await Participant.launch('loopback');
      ctx.participants.push(p);
      t.diagnostic(`Chromium ${p.browser.version()}`);
      await p.page.goto(url);
      await p.page.waitForFunction(() => window.vigie?.state === 'joined');

      const tracks = await p.page.evaluate(() => window.tracks);
      assert.deepEqual(
        tracks.map((tr) => `${tr.kind}:${tr.state}`).sort(),
        ['audio:live', 'video:live'],
        `fake devices: ${JSON.stringify(tracks)}`,
      );

      const [video, audio] = await Promise.all([
        expectGrowth(() => inboundVideo(p.page), { by: 10, what: 'frames decoded' }),
        expectGrowth(() => inboundAudio(p.page), { by: 10, what: 'audio packets received' }),
      ]);
      t.diagnostic(`loopback: ${video.perSecond} frames/s, ${audio.perSecond} audio packets/s`);
    });
  });
});
