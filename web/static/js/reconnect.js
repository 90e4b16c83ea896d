// Getting a call back after a cut, without the person doing anything. The WebSocket comes back
// with a growing, jittered delay (0.5, 1, 2, 4, 5, 5 … s) and resumes the same session with the
// secret the server gave at join; media is "back" once video frames are decoded again.

// Delays before each new attempt; the last one repeats.
export const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];

/** The delay before attempt n (0 first): ±20 % jitter, so a room's browsers do not all return at once. */
export function backoffDelay(attempt, random = Math.random) {
  const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Retry calls attempt() until it resolves to true, waiting backoffDelay between tries, until
 * stop(). One try runs at a time.
 */
export class Retry {
  constructor(attempt) {
    this.attempt = attempt;
    this.timer = 0;
    this.tries = 0;
    this.stopped = false;
  }

  /** Starts trying after the first delay. */
  start() {
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Tries at once instead of waiting, when a try is due (the browser says it is online again). */
  now() {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.run();
  }

  schedule() {
    if (this.stopped) return;
    const delay = backoffDelay(this.tries);
    this.tries += 1;
    this.timer = setTimeout(() => this.run(), delay);
  }

  async run() {
    this.timer = 0;
    if (this.stopped) return;
    let done = false;
    try {
      done = await this.attempt();
    } catch (err) {
      console.warn('vigie: reconnect attempt failed', err.message);
    }
    if (!done) this.schedule();
  }
}

/**
 * watchFlow resolves once media flows on the connection getPC() returns: video frames decoded
 * going up between two samples, or, with no video to receive, the connection connected (or no
 * subscribe connection at all after a few seconds: nobody sends anything; or video connected but
 * still for stillMs). signal stops it.
 */
export function watchFlow(getPC, signal, { interval = 400, noConnectionMs = 3000, stillMs = 15000 } = {}) {
  const started = Date.now();
  let last = -1;
  return new Promise((resolve) => {
    const tick = async () => {
      if (signal.aborted) return;
      const pc = getPC();
      if (!pc) {
        if (Date.now() - started > noConnectionMs) return resolve();
        return setTimeout(tick, interval);
      }
      let frames = 0;
      let video = false;
      try {
        (await pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            video = true;
            frames += r.framesDecoded || 0;
          }
        });
      } catch {
        // a closed connection: the next sample looks at the new one
      }
      const connected = pc.connectionState === 'connected';
      // A video that stays still (a participant's camera turned off) must not keep the banner.
      if (video ? (last >= 0 && frames > last) || (connected && Date.now() - started > stillMs) : connected) {
        return resolve();
      }
      if (video) last = frames;
      setTimeout(tick, interval);
    };
    tick();
  });
}
