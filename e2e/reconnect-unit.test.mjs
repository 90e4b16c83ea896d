// The reconnection timing of the room page (web/static/js/reconnect.js), run in Node: the delays
// between tries, and a Retry that keeps trying until a try succeeds and stops when told.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_MS, Retry, backoffDelay } from '../web/static/js/reconnect.js';
import { waitFor } from './lib/wait.mjs';

describe('reconnect backoff', () => {
  const cases = [
    { attempt: 0, random: 0, want: 400 },
    { attempt: 0, random: 0.5, want: 500 },
    { attempt: 0, random: 1, want: 600 },
    { attempt: 1, random: 0.5, want: 1000 },
    { attempt: 2, random: 0.5, want: 2000 },
    { attempt: 3, random: 0.5, want: 4000 },
    { attempt: 4, random: 0.5, want: 5000 },
    { attempt: 40, random: 1, want: 6000 },
  ];
  for (const c of cases) {
    it(`attempt ${c.attempt} with random ${c.random} waits ${c.want} ms`, () => {
      assert.equal(backoffDelay(c.attempt, () => c.random), c.want);
    });
  }

  it('never waits more than the last step plus 20 %', () => {
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(i % 10);
      assert.ok(d >= BACKOFF_MS[0] * 0.8 && d <= BACKOFF_MS.at(-1) * 1.2, `delay ${d}`);
    }
  });

  it('tries until a try succeeds, then stops; now() skips the wait', async () => {
    let tries = 0;
    const retry = new Retry(async () => {
      tries += 1;
      if (tries === 1) throw new Error('refused');
      return tries >= 3;
    });
    retry.start();
    await waitFor(() => tries === 1 && retry.timer, { timeout: 2_000, interval: 10, what: 'a first try, and a second one scheduled' });
    retry.now(); // the second try at once, not after its 0.8 to 1.2 s
    await waitFor(() => tries === 2, { timeout: 300, interval: 10, what: 'the second try at once' });
    await waitFor(() => tries === 3, { timeout: 5_000, what: 'a third try after its delay' });
    assert.equal(retry.timer, 0, 'nothing scheduled after the success');
    retry.stop();
    retry.now();
    assert.equal(tries, 3);
  });
});
