// The site's cameras in the call (docs/protocol.md: `joined.cameras`, `camera_status`, and the
// tracks of the stream `camera-<id>`): each camera's state in words, and the tile that shows it.
//
// A camera tile exists whatever the camera's state. Until it has shown a picture it is a calm
// card (an icon, the camera's name, what is happening) rather than a black box; once a frame has
// been shown the last image stays on screen while vigie reconnects to the camera, with the state
// in a badge over it. Camera sound plays, and each listener can mute a noisy camera for
// themselves. A live H.265 camera that this browser cannot decode (and that has no H.264
// sub-stream vigie could send instead) never shows a frame: after a few seconds its card says so
// in plain words, rather than waiting for the picture forever.

import { canReceiveVideo } from './codecs.js';
import { t } from './i18n.js';

// How long a live camera may show no frame before an undecodable codec is blamed.
const UNPLAYABLE_AFTER_MS = 3_000;

// The reasons the server gives in plain English (docs/protocol.md), in the page's language.
const REASONS = {
  'wrong user name or password': () => t('camera.reason.auth'),
  'camera unreachable': () => t('camera.reason.unreachable'),
  'connection lost': () => t('camera.reason.lost'),
  'stream uses b-frames, which browsers cannot play': () => t('camera.reason.bframes'),
  'no video in the stream': () => t('camera.reason.noVideo'),
};

/** The words for a camera's `reason`; one this page does not know is shown as given. */
export function reasonWords(reason) {
  const text = String(reason || '').trim();
  const known = REASONS[text.toLowerCase().replace(/\.$/, '')];
  if (known) return known();
  if (/^codec\b/i.test(text)) {
    const codec = /^codec\s+(.+?)\s+(?:is\s+)?not supported/i.exec(text);
    return codec ? t('camera.reason.codec', { codec: codec[1] }) : t('camera.reason.codecAny');
  }
  return text;
}

/** The words for a camera's `audio_note` ("audio not supported (AAC)"), or '' when none. */
export function audioNoteWords(note) {
  const text = String(note || '').trim();
  const unsupported = /^audio not supported\s*\((.+)\)\.?$/i.exec(text);
  return unsupported ? t('camera.audioUnsupported', { codec: unsupported[1] }) : text;
}

/**
 * A camera's state for display: kind is "live", "connecting", "reconnecting" or "failed" (an
 * unknown state reads as connecting); text says it; detail is the reason, when there is one.
 */
export function cameraStatus(camera) {
  const reason = camera && camera.reason ? reasonWords(camera.reason) : '';
  switch (camera && camera.state) {
    case 'live':
      return { kind: 'live', text: t('camera.live'), detail: '' };
    case 'reconnecting':
      return { kind: 'reconnecting', text: t('camera.reconnecting'), detail: reason };
    case 'failed':
      return { kind: 'failed', text: reason || t('camera.failed'), detail: '' };
    default:
      return { kind: 'connecting', text: t('camera.connecting'), detail: '' };
  }
}

/** A short word for the participant list: live, connecting, reconnecting, unavailable. */
export function cameraStateWord(kind) {
  switch (kind) {
    case 'live': return t('people.cameraLive');
    case 'reconnecting': return t('people.cameraReconnecting');
    case 'failed': return t('people.cameraFailed');
    default: return t('people.cameraConnecting');
  }
}

/** The display name of a camera. */
export function cameraName(camera) {
  return (camera && String(camera.name || '').trim()) || t('camera.unnamed');
}

/**
 * One camera's tile, with the same surface as a participant's tile for the grid: root, video,
 * setTracks, setEnlarged, play, remove.
 */
export class CameraTile {
  constructor(template, id) {
    this.root = template.content.firstElementChild.cloneNode(true);
    this.root.dataset.camera = id;
    this.root.dataset.source = 'camera';
    this.id = id;
    this.source = 'camera';
    const part = (selector) => this.root.querySelector(selector);
    this.video = part('video');
    this.hit = part('.tile-hit');
    this.nameLabel = part('.tile-name');
    this.cardName = part('.camera-card-name');
    this.cardStatus = part('.camera-card-status');
    this.cardDetail = part('.camera-card-detail');
    this.badge = part('.camera-badge');
    this.badgeText = part('.camera-badge-text');
    this.badgeDetail = part('.camera-badge-detail');
    this.note = part('.camera-audio-note');
    this.noteText = part('.camera-audio-note-text');
    this.muteButton = part('.camera-mute');
    this.camera = { id, name: '', state: 'connecting' };
    // Recorded footage shown on this tile (playback.js): {name, label, state, badge, waiting},
    // or null for a live camera.
    this.recording = null;
    this.tracks = [];
    this.trackWatch = null;
    // Whether this element has shown a frame of its current stream: from then on the picture
    // stays, whatever the camera's state.
    this.pictured = false;
    this.enlarged = false;
    // The tile's displayed width in CSS pixels, kept by the grid.
    this.displayWidth = 0;
    // Set UNPLAYABLE_AFTER_MS after the camera went live; a frame shown since clears the doubt.
    this.liveLong = false;
    this.liveTimer = 0;
    for (const type of ['loadeddata', 'resize', 'playing']) {
      this.video.addEventListener(type, () => this.noticeFrame());
    }
    this.muteButton.addEventListener('click', () => this.setListenerMuted(!this.video.muted));
    this.setListenerMuted(false);
    this.render();
  }

  /** Updates the camera's name, state and notes (a `camera` object of the protocol). */
  setCamera(camera) {
    const wasLive = this.camera.state === 'live';
    this.camera = { ...camera };
    const live = this.camera.state === 'live';
    if (live !== wasLive) {
      clearTimeout(this.liveTimer);
      this.liveTimer = 0;
      this.liveLong = false;
      if (live) {
        this.liveTimer = setTimeout(() => {
          this.liveLong = true;
          this.render();
        }, UNPLAYABLE_AFTER_MS);
      }
    }
    this.render();
  }

  /**
   * Makes this the tile of recorded footage: name is the camera's, label the recorded time
   * ("recorded — 14:02:10"), shown in the badge where "live" would be, state "playing" or
   * "paused", badge the badge's words until the time is known, waiting the card's before the
   * first picture. The tile never claims to be live.
   */
  setRecording(recording) {
    this.recording = { ...recording };
    this.badgeText.classList.add('playback-label');
    this.render();
  }

  /**
   * Whether the picture is missing because this browser cannot decode the camera's H.265: the
   * camera has been live for a while, says H265, no frame was shown, and the browser does not
   * list H.265 among the codecs it receives.
   */
  undecodable() {
    return this.liveLong && !this.pictured && this.camera.state === 'live'
      && String(this.camera.video || '').toUpperCase() === 'H265' && !canReceiveVideo('video/H265');
  }

  /** Sets the camera's video and audio tracks, played together from one MediaStream. */
  setTracks(tracks) {
    const same = tracks.length === this.tracks.length && tracks.every((tr) => this.tracks.includes(tr));
    if (same) return false;
    this.tracks = tracks;
    if (this.trackWatch) this.trackWatch.abort();
    this.trackWatch = new AbortController();
    for (const track of tracks) {
      track.addEventListener('ended', () => this.render(), { signal: this.trackWatch.signal });
    }
    this.pictured = false;
    this.video.srcObject = tracks.length ? new MediaStream(tracks) : null;
    this.render();
    return tracks.length > 0;
  }

  noticeFrame() {
    if (this.pictured || !this.video.srcObject || this.video.videoWidth === 0) return;
    this.pictured = true;
    this.render();
  }

  // The local listener's mute: only this page's speaker, nothing is sent anywhere.
  setListenerMuted(muted) {
    this.video.muted = muted;
    this.muteButton.classList.toggle('muted', muted);
    this.muteButton.setAttribute('aria-pressed', String(muted));
    const label = muted ? t('camera.unmute') : t('camera.mute');
    this.muteButton.setAttribute('aria-label', label);
    this.muteButton.title = label;
  }

  render() {
    if (this.recording) {
      this.renderRecording();
      return;
    }
    const camera = this.camera;
    const name = cameraName(camera);
    const status = cameraStatus(camera);
    const video = this.tracks.find((tr) => tr.kind === 'video');
    const picture = this.pictured && !!video && video.readyState === 'live';
    const undecodable = this.undecodable();
    this.root.dataset.state = status.kind;
    this.root.classList.toggle('video-off', !picture);
    this.root.classList.toggle('undecodable', undecodable);
    this.nameLabel.textContent = name;
    this.cardName.textContent = name;
    // Live but no frame yet: the card says what is awaited rather than "LIVE" over nothing, or
    // why nothing will come.
    if (undecodable) this.cardStatus.textContent = t('camera.h265Unsupported');
    else this.cardStatus.textContent = status.kind === 'live' ? t('camera.waiting') : status.text;
    this.cardDetail.textContent = status.detail;
    this.cardDetail.hidden = !status.detail;
    this.badge.dataset.kind = status.kind;
    this.badgeText.textContent = status.text;
    this.badgeDetail.textContent = status.detail;
    this.badgeDetail.hidden = !status.detail;
    // Over a picture the badge tells the state; on the card it would only repeat it.
    this.badge.hidden = !picture && status.kind !== 'live';
    const note = audioNoteWords(camera.audio_note);
    this.noteText.textContent = note;
    this.note.hidden = !note;
    this.muteButton.hidden = !this.tracks.some((tr) => tr.kind === 'audio');
    this.setEnlarged(this.enlarged);
  }

  renderRecording() {
    const r = this.recording;
    const video = this.tracks.find((tr) => tr.kind === 'video');
    const picture = this.pictured && !!video && video.readyState === 'live';
    this.root.dataset.state = 'recorded';
    this.root.dataset.recorded = r.state === 'paused' ? 'paused' : 'playing';
    this.root.classList.toggle('video-off', !picture);
    this.root.classList.remove('undecodable');
    this.nameLabel.textContent = r.name;
    this.cardName.textContent = r.name;
    this.cardStatus.textContent = r.label || r.waiting;
    this.cardDetail.hidden = true;
    // Top left, where a live camera says "live": nothing covers it, not even the self-view.
    this.badge.dataset.kind = 'recorded';
    this.badgeText.textContent = r.label || r.badge;
    this.badgeDetail.hidden = true;
    this.badge.hidden = false;
    this.note.hidden = true;
    this.muteButton.hidden = !this.tracks.some((tr) => tr.kind === 'audio');
    this.setEnlarged(this.enlarged);
  }

  setEnlarged(enlarged) {
    this.enlarged = enlarged;
    this.root.classList.toggle('enlarged', enlarged);
    this.hit.setAttribute('aria-pressed', String(enlarged));
    const name = this.recording ? `${this.recording.name} \u2014 ${this.recording.label}` : cameraName(this.camera);
    this.hit.setAttribute('aria-label', enlarged ? t('tile.shrink') : t('tile.enlarge', { name }));
  }

  /** Starts playback; resolves false when the browser blocks sound until the page is touched. */
  async play() {
    if (!this.video.srcObject) return true;
    try {
      await this.video.play();
      return true;
    } catch (err) {
      return err.name !== 'NotAllowedError';
    }
  }

  remove() {
    clearTimeout(this.liveTimer);
    if (this.trackWatch) this.trackWatch.abort();
    this.video.srcObject = null;
    this.root.remove();
  }
}
