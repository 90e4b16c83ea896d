// Polling with a deadline: the tests wait for a condition to become true, never for a fixed time.

import { setTimeout as sleep } from 'node:timers/promises';

/** StopWaiting, thrown by a waitFor condition, ends the wait at once with that error. */
export class StopWaiting extends Error {}

/**
 * waitFor calls fn every `interval` ms until it returns a truthy value, which it returns. Other
 * errors thrown by fn count as "not yet"; at the deadline the error names `what` (a string, or a
 * function giving one then) and the last value or error seen.
 */
export async function waitFor(fn, { timeout = 10_000, interval = 200, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await fn();
      lastErr = undefined;
      if (last) return last;
    } catch (err) {
      if (err instanceof StopWaiting) throw err;
      lastErr = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const seen = lastErr ? `last error: ${lastErr.message}` : `last value: ${JSON.stringify(last)}`;
      const name = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeout} ms waiting for ${name} (${seen})`);
    }
    await sleep(Math.min(interval, left));
  }
}
