// The person's own microphone and camera, shared by the pre-join screen and the call so that
// joining does not open the devices a second time. It remembers what the person wants (mic on,
// camera on, which devices) apart from what is actually open, because a device can be missing,
// busy or refused.

import { mediaAvailability, openCamera, openDevices, openMicrophone } from './devices.js';

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    this.micTrack = null;
    this.camTrack = null;
    this.micOn = true;
    this.camOn = true;
    this.micId = '';
    this.camId = '';
    this.speakerId = '';
    // The last failure per kind, kept so the pre-join screen can explain it.
    this.errors = { audio: null, video: null };
    this.availability = mediaAvailability();
    // Device operations run one after the other: a double click must not open a camera twice.
    this.queue = Promise.resolve();
  }

  /** What is really being sent, in the protocol's `media` shape (screen is the call's business). */
  sending() {
    return {
      audio: this.micOn && !!this.micTrack,
      video: this.camOn && !!this.camTrack,
    };
  }

  /** Opens the microphone, and the camera unless it is wanted off. Safe to call again to retry. */
  start() {
    return this.serial(async () => {
      if (this.availability !== 'ok') return;
      const result = await openDevices({
        audio: !this.micTrack,
        video: this.camOn && !this.camTrack,
        audioId: this.micId,
        videoId: this.camId,
      });
      if (!this.micTrack) this.errors.audio = result.errors.audio;
      if (this.camOn && !this.camTrack) this.errors.video = result.errors.video;
      if (result.audio) this.adoptMic(result.audio);
      if (result.video) this.adoptCam(result.video);
    });
  }

  /** Turns the microphone on or off. Off keeps the track but disables it, so unmuting is instant. */
  setMicOn(on) {
    return this.serial(async () => {
      this.micOn = on;
      if (on && !this.micTrack) await this.tryOpen('audio');
      if (this.micTrack) this.micTrack.enabled = this.micOn;
    });
  }

  /** Turns the camera on or off. Off stops the track so that the camera's light goes out. */
  setCamOn(on) {
    return this.serial(async () => {
      this.camOn = on;
      if (!on) this.dropCam();
      else if (!this.camTrack) await this.tryOpen('video');
    });
  }

  /** Switches to another camera; the old one is stopped first (phones cannot open two). */
  useCamera(deviceId) {
    return this.serial(async () => {
      this.camId = deviceId;
      if (!this.camOn) return;
      this.dropCam();
      await this.tryOpen('video');
    });
  }

  /** Switches to another microphone, keeping the mute state. */
  useMicrophone(deviceId) {
    return this.serial(async () => {
      this.micId = deviceId;
      this.dropMic();
      await this.tryOpen('audio');
    });
  }

  /** Stops every device (leaving, or an error screen). What the person wanted is kept. */
  stop() {
    return this.serial(async () => {
      this.dropMic();
      this.dropCam();
    });
  }

  async tryOpen(kind) {
    if (this.availability !== 'ok') return;
    try {
      if (kind === 'audio') this.adoptMic(await openMicrophone(this.micId));
      else this.adoptCam(await openCamera(this.camId));
      this.errors[kind] = null;
    } catch (err) {
      this.errors[kind] = err;
      // Show the device as off rather than "on but silent": the next click tries again.
      if (kind === 'video') this.camOn = false;
      else this.micOn = false;
    }
  }

  adoptMic(track) {
    this.micTrack = track;
    track.enabled = this.micOn;
    track.addEventListener('ended', () => this.lost(track));
  }

  adoptCam(track) {
    this.camTrack = track;
    track.addEventListener('ended', () => this.lost(track));
  }

  dropMic() {
    if (this.micTrack) this.micTrack.stop();
    this.micTrack = null;
  }

  dropCam() {
    if (this.camTrack) this.camTrack.stop();
    this.camTrack = null;
  }

  // A track ends on its own when the device is unplugged or the permission is revoked.
  lost(track) {
    if (track === this.micTrack) this.micTrack = null;
    else if (track === this.camTrack) this.camTrack = null;
    else return;
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  // Runs fn after the previous operation, then tells listeners what changed.
  serial(fn) {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run.finally(() => this.changed());
  }
}
