// Which stream each camera tile asks for (web/static/js/quality.js), run in Node with mocked
// timers: a wish is sent once it has held, never twice, only with a track, again for a new track,
// and again later when the signaling socket could not take it.

import assert from 'node:assert/strict';
import { beforeEach, afterEach, describe, it, mock } from 'node:test';

const { CameraQuality, QUALITY_DELAY_MS, qualityFor } = await import('../web/static/js/quality.js');

describe('qualityFor', () => {
  const cases = [
    { tile: { enlarged: false, width: 320 }, want: 'sub' },
    { tile: { enlarged: false, width: 640 }, want: 'sub' },
    { tile: { enlarged: false, width: 641 }, want: 'main' },
    { tile: { enlarged: true, width: 200 }, want: 'main' },
    { tile: { enlarged: false, width: 0 }, want: 'sub' },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.tile)} calls for ${c.want}`, () => assert.equal(qualityFor(c.tile), c.want));
  }
});

describe('CameraQuality', () => {
  let sent;
  let socketOpen;
  let quality;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    sent = [];
    socketOpen = true;
    quality = new CameraQuality({
      send: (camera, q) => {
        if (!socketOpen) return false;
        sent.push(`${camera}:${q}`);
        return true;
      },
    });
  });
  afterEach(() => {
    quality.destroy();
    mock.timers.reset();
  });

  it('sends a wish once it has held for the delay, and only once', () => {
    quality.trackChanged('c1', true);
    quality.want('c1', 'sub');
    mock.timers.tick(QUALITY_DELAY_MS - 1);
    assert.deepEqual(sent, [], 'nothing before the delay');
    mock.timers.tick(1);
    assert.deepEqual(sent, ['c1:sub']);
    quality.want('c1', 'sub');
    mock.timers.tick(QUALITY_DELAY_MS * 3);
    assert.deepEqual(sent, ['c1:sub'], 'the same wish is not sent again');
  });

  it('sends only the last of a burst of changes', () => {
    quality.trackChanged('c1', true);
    for (const q of ['main', 'sub', 'main']) {
      quality.want('c1', q);
      mock.timers.tick(QUALITY_DELAY_MS / 3);
    }
    mock.timers.tick(QUALITY_DELAY_MS);
    assert.deepEqual(sent, ['c1:main']);
  });

  it('waits for the track, and tells a new track the wish again', () => {
    quality.want('c1', 'main');
    mock.timers.tick(QUALITY_DELAY_MS * 2);
    assert.deepEqual(sent, [], 'no track, nothing to switch');
    quality.trackChanged('c1', true);
    mock.timers.tick(QUALITY_DELAY_MS);
    assert.deepEqual(sent, ['c1:main']);
    quality.trackChanged('c1', true);
    mock.timers.tick(QUALITY_DELAY_MS);
    assert.deepEqual(sent, ['c1:main', 'c1:main'], 'a new track starts on the server\'s own choice');
  });

  it('tries again while the signaling socket cannot take the wish', () => {
    quality.trackChanged('c1', true);
    quality.want('c1', 'main');
    socketOpen = false;
    mock.timers.tick(QUALITY_DELAY_MS * 4);
    assert.deepEqual(sent, []);
    socketOpen = true;
    mock.timers.tick(QUALITY_DELAY_MS);
    assert.deepEqual(sent, ['c1:main'], 'sent once the socket is back');
    mock.timers.tick(QUALITY_DELAY_MS * 4);
    assert.deepEqual(sent, ['c1:main'], 'and not again');
  });

  it('stops trying when the track or the tile is gone', () => {
    socketOpen = false;
    quality.trackChanged('c1', true);
    quality.want('c1', 'main');
    quality.trackChanged('c2', true);
    quality.want('c2', 'main');
    mock.timers.tick(QUALITY_DELAY_MS * 2);
    quality.trackChanged('c1', false);
    quality.forget('c2');
    socketOpen = true;
    mock.timers.tick(QUALITY_DELAY_MS * 4);
    assert.deepEqual(sent, []);
    assert.deepEqual(quality.wanted(), { c1: 'main' });
  });
});
