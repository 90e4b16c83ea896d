// The microphone level meter of the pre-join screen: ten bars that light up with the voice, so
// that a person can see their microphone works before anyone hears them. Bars are lit by class,
// so nothing here needs inline style.

const BARS_LIT_CLASS = 'lit';
const FLOOR_DB = -60; // silence
const CEIL_DB = -12;  // a loud voice close to the microphone

export class LevelMeter {
  /** container holds the bar elements and gets aria-valuenow. */
  constructor(container) {
    this.container = container;
    this.bars = [...container.children];
    this.context = null;
    this.source = null;
    this.analyser = null;
    this.samples = null;
    this.frame = 0;
    this.shown = -1;
    this.peak = 0;
  }

  /** Measures track (an audio track, or null to show nothing). */
  attach(track) {
    this.detach();
    if (!track || typeof AudioContext === 'undefined') return;
    if (!this.context) this.context = this.newContext();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
    this.tick();
  }

  detach() {
    cancelAnimationFrame(this.frame);
    if (this.source) this.source.disconnect();
    this.source = null;
    this.analyser = null;
    this.peak = 0;
    this.show(0);
  }

  /** Releases the audio context; the meter can be attached again later. */
  close() {
    this.detach();
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
  }

  // Browsers start an AudioContext suspended until the page is touched; resume it then.
  newContext() {
    const context = new AudioContext();
    if (context.state === 'suspended') {
      const resume = () => context.resume().catch(() => {});
      document.addEventListener('pointerdown', resume, { once: true });
      document.addEventListener('keydown', resume, { once: true });
    }
    return context;
  }

  tick() {
    this.frame = requestAnimationFrame(() => this.tick());
    if (!this.analyser) return;
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    const rms = Math.sqrt(sum / this.samples.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : FLOOR_DB;
    const level = Math.min(1, Math.max(0, (db - FLOOR_DB) / (CEIL_DB - FLOOR_DB)));
    // Rise at once, fall slowly: a steady meter is easier to read than a flickering one.
    this.peak = Math.max(level, this.peak * 0.92);
    this.show(Math.round(this.peak * this.bars.length));
  }

  show(lit) {
    if (lit === this.shown) return;
    this.shown = lit;
    this.bars.forEach((bar, i) => bar.classList.toggle(BARS_LIT_CLASS, i < lit));
    this.container.setAttribute('aria-valuenow', String(lit));
  }
}
