// The recorded-footage logic of the console and the room (web/static/js/footage.js), run in Node:
// datetime-local values read and written in the local time zone (Paris here, winter and summer),
// the form's default range around the alarm, its checks, and the names of recorded tracks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

// Before any date is made: Node reads TZ again when it changes.
process.env.TZ = 'Europe/Paris';

const { MAX_RANGE_MS, checkRange, defaultRange, fromLocalInput, recordedSource, toLocalInput, toUTC } =
  await import('../web/static/js/footage.js');

describe('datetime-local values in the local time zone', () => {
  const cases = [
    { value: '2026-12-04T15:02:10', utc: '2026-12-04T14:02:10Z' }, // winter: UTC+1
    { value: '2026-07-14T10:00:05', utc: '2026-07-14T08:00:05Z' }, // summer: UTC+2
    { value: '2026-12-04T15:02', utc: '2026-12-04T14:02:00Z' }, // a browser leaves out :00 seconds
    { value: '2026-12-04T15:02:10.500', utc: '2026-12-04T14:02:10Z' },
    { value: '2026-12-31T23:59:59', utc: '2026-12-31T22:59:59Z' },
  ];
  for (const c of cases) {
    it(`reads ${c.value} as ${c.utc}`, () => {
      const date = fromLocalInput(c.value);
      assert.ok(date, 'a date');
      assert.equal(toUTC(date), c.utc);
    });
  }

  for (const bad of ['', null, undefined, '2026-12-04', '15:02:10', '2026-02-31T10:00:00', '2026-13-01T10:00', 'soon']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.equal(fromLocalInput(bad), null);
    });
  }

  it('writes back what it reads, with seconds', () => {
    for (const value of ['2026-12-04T15:02:10', '2026-07-14T00:00:00', '2027-01-01T09:05:07']) {
      assert.equal(toLocalInput(fromLocalInput(value)), value);
    }
    assert.equal(toLocalInput(new Date('2026-12-04T14:02:10Z')), '2026-12-04T15:02:10');
  });
});

describe('the default range around the alarm', () => {
  it('starts 5 minutes before the alarm and ends 1 minute after, to the second', () => {
    assert.deepEqual(defaultRange('2026-12-04T14:02:10.734Z'), { from: '2026-12-04T14:57:10', to: '2026-12-04T15:03:10' });
  });

  it('crosses midnight in local time', () => {
    assert.deepEqual(defaultRange('2026-12-04T23:02:00Z'), { from: '2026-12-04T23:57:00', to: '2026-12-05T00:03:00' });
    assert.deepEqual(defaultRange('2026-12-04T23:00:00+01:00'), { from: '2026-12-04T22:55:00', to: '2026-12-04T23:01:00' });
  });

  it('is around now when the alarm time is unreadable', () => {
    const { from, to } = defaultRange('not a time');
    const span = fromLocalInput(to) - fromLocalInput(from);
    assert.equal(span, 6 * 60 * 1000);
    assert.ok(Math.abs(fromLocalInput(from) - (Date.now() - 5 * 60 * 1000)) < 5_000);
  });
});

describe('checking the range before sending it', () => {
  const now = new Date('2026-12-04T14:10:00Z'); // 15:10:00 in Paris
  const cases = [
    { name: 'a good range', from: '2026-12-04T15:02:10', to: '2026-12-04T15:05:00', want: { from: '2026-12-04T14:02:10Z', to: '2026-12-04T14:05:00Z' } },
    { name: 'an end past now', from: '2026-12-04T15:09:00', to: '2026-12-04T15:11:00', want: { from: '2026-12-04T14:09:00Z', to: '2026-12-04T14:11:00Z' } },
    { name: 'no start', from: '', to: '2026-12-04T15:05:00', want: { error: 'missing', field: 'from' } },
    { name: 'no end', from: '2026-12-04T15:02:10', to: '', want: { error: 'missing', field: 'to' } },
    { name: 'a start in the future', from: '2026-12-04T15:10:00', to: '2026-12-04T15:20:00', want: { error: 'future', field: 'from' } },
    { name: 'an end before the start', from: '2026-12-04T15:02:10', to: '2026-12-04T15:02:09', want: { error: 'order', field: 'to' } },
    { name: 'an end equal to the start', from: '2026-12-04T15:02:10', to: '2026-12-04T15:02:10', want: { error: 'order', field: 'to' } },
    { name: 'exactly 24 hours', from: '2026-12-03T15:00:00', to: '2026-12-04T15:00:00', want: { from: '2026-12-03T14:00:00Z', to: '2026-12-04T14:00:00Z' } },
    { name: 'over 24 hours', from: '2026-12-03T15:00:00', to: '2026-12-04T15:00:01', want: { error: 'tooLong', field: 'to' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(checkRange(c.from, c.to, now), c.want);
    });
  }

  it('allows exactly the server\u2019s longest range', () => {
    assert.equal(MAX_RANGE_MS, 24 * 3600 * 1000);
  });
});

describe('recorded tracks in the room', () => {
  const cameras = ['cour', 'guichet', 'quai-rec-2'];
  const cases = [
    { track: 'cour-rec-4f2a9c01d3e5b677', want: 'cour' },
    { track: 'guichet-rec-0123abcd', want: 'guichet' },
    { track: 'cour', want: '' },
    { track: 'guichet-rec-', want: '' },
    { track: 'parking-rec-4f2a', want: '' }, // not a camera of the room
    { track: 'cour-rec-ab/cd', want: '' },
    { track: 'quai-rec-2', want: '' }, // a site camera named so
    { track: '', want: '' },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.track)} shows ${c.want || 'no recording'}`, () => {
      assert.equal(recordedSource(c.track, cameras), c.want);
    });
  }

  it('takes any iterable of camera ids', () => {
    assert.equal(recordedSource('cour-rec-1', new Map([['cour', {}]]).keys()), 'cour');
  });
});
