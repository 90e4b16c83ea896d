// The video grid of the call. The site's cameras come first (they are why people join), each in
// a tile of its own (cameras.js). Then each remote participant has a camera tile (their camera
// and microphone in one MediaStream, so the browser keeps lips and voice together, or their
// initials when the camera is off); a screen share gets a tile of its own; the person's own camera
// is a small self-view. Clicking a tile enlarges it; clicking it again goes back to the grid.
// Each camera tile's displayed size is watched: a large tile asks for the camera's main stream,
// a small one for its sub-stream (quality.js).

import { CameraTile } from './cameras.js';
import { initials } from './dom.js';
import { recordedSource } from './footage.js';
import { t } from './i18n.js';
import { isReceiveOnly } from './link.js';
import { recordingView } from './playback.js';
import { qualityFor } from './quality.js';

class Tile {
  constructor(template, participant, source) {
    this.root = template.content.firstElementChild.cloneNode(true);
    this.root.dataset.participant = participant;
    this.root.dataset.source = source;
    this.video = this.root.querySelector('video');
    this.off = this.root.querySelector('.tile-off');
    this.initials = this.root.querySelector('.initials');
    this.nameLabel = this.root.querySelector('.tile-name');
    this.badge = this.root.querySelector('.mic-off-badge');
    this.source = source;
    this.tracks = [];
    this.trackWatch = null;
    this.wantVideo = true;
    this.name = '';
    if (source === 'self') {
      this.video.muted = true;
      this.root.removeAttribute('tabindex');
      this.root.removeAttribute('role');
      this.root.removeAttribute('aria-pressed');
    }
  }

  /** Sets the tracks played by this tile; a new set gets a new MediaStream. */
  setTracks(tracks) {
    const same = tracks.length === this.tracks.length && tracks.every((tr) => this.tracks.includes(tr));
    if (same) return false;
    this.tracks = tracks;
    if (this.trackWatch) this.trackWatch.abort();
    this.trackWatch = new AbortController();
    for (const track of tracks) {
      track.addEventListener('mute', () => this.refresh(), { signal: this.trackWatch.signal });
      track.addEventListener('unmute', () => this.refresh(), { signal: this.trackWatch.signal });
    }
    this.video.srcObject = tracks.length ? new MediaStream(tracks) : null;
    this.refresh();
    return tracks.length > 0;
  }

  /**
   * name: the label; micOff: show the mute badge; wantVideo: false when the camera is off;
   * initialsOf: the name the camera-off placeholder takes its initials from.
   */
  update({ name, micOff, wantVideo, initialsOf = name }) {
    this.name = name;
    this.nameLabel.textContent = name;
    this.initials.textContent = initials(initialsOf);
    this.badge.classList.toggle('shown', !!micOff);
    this.wantVideo = wantVideo;
    this.refresh();
  }

  // The placeholder shows while there is no picture: camera off, no track yet, or no frames.
  refresh() {
    const video = this.tracks.find((tr) => tr.kind === 'video');
    const showing = !!video && video.readyState === 'live' && !video.muted && this.wantVideo;
    this.root.classList.toggle('video-off', !showing);
  }

  setEnlarged(enlarged) {
    this.root.classList.toggle('enlarged', enlarged);
    if (this.source === 'self') return;
    this.root.setAttribute('aria-pressed', String(enlarged));
    this.root.setAttribute('aria-label', enlarged ? t('tile.shrink') : t('tile.enlarge', { name: this.name }));
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
    if (this.trackWatch) this.trackWatch.abort();
    this.video.srcObject = null;
    this.root.remove();
  }
}

export class TileGrid {
  /**
   * template and cameraTemplate make the participants' and the cameras' tiles; onSoundBlocked()
   * is called when the browser refuses to play a participant's or a camera's sound.
   * onCameraQuality(id, "main"|"sub") is told what each camera tile calls for whenever its size
   * or enlargement changes; onCameraTrack(id, hasTrack) when a camera's video track changes;
   * onCameraGone(id) when a camera's tile is removed (recorded footage that ended).
   * focusCamera is a camera to enlarge as soon as its tile exists (the one enlarged before a
   * rejoin); onFocusCamera(id) follows the enlarged camera (null when none).
   */
  constructor({
    container, template, cameraTemplate, empty, onSoundBlocked,
    onCameraQuality = () => {}, onCameraTrack = () => {}, onCameraGone = () => {},
    focusCamera = null, onFocusCamera = () => {},
  }) {
    this.container = container;
    this.template = template;
    this.cameraTemplate = cameraTemplate;
    this.empty = empty;
    this.onSoundBlocked = onSoundBlocked;
    this.onCameraQuality = onCameraQuality;
    this.onCameraTrack = onCameraTrack;
    this.onCameraGone = onCameraGone;
    this.onFocusCamera = onFocusCamera;
    this.pendingFocus = focusCamera;
    this.tiles = new Map();
    // The site cameras' tiles by camera id.
    this.cameras = new Map();
    this.people = new Map();
    // Who left: an offer still in flight may name their tracks, which must not bring them back.
    this.left = new Set();
    this.self = null;
    this.focused = null;
    this.sinkId = '';
    this.listeners = new AbortController();
    const signal = this.listeners.signal;
    container.addEventListener('click', (e) => this.toggleFrom(e.target), { signal });
    container.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        if (this.toggleFrom(e.target)) e.preventDefault();
      }
    }, { signal });
    this.resize = new ResizeObserver(() => this.layout());
    this.resize.observe(container);
    // Camera tiles' own sizes, in CSS pixels, for the stream each asks for.
    this.cameraSizes = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const tile = [...this.cameras.values()].find((x) => x.root === entry.target);
        if (!tile) continue;
        const box = entry.borderBoxSize && entry.borderBoxSize[0];
        tile.displayWidth = box ? box.inlineSize : entry.contentRect.width;
        this.reportQuality(tile);
      }
    });
    this.layout();
  }

  /** Shows the person's own camera (track may be null) as the self-view. */
  setSelf(participantId, name, track, micOn) {
    if (!this.self) {
      this.self = new Tile(this.template, participantId, 'self');
      this.container.append(this.self.root);
    }
    this.self.root.dataset.participant = participantId;
    this.self.setTracks(track ? [track] : []);
    this.self.update({ name: t('call.you'), initialsOf: name, micOff: !micOn, wantVideo: !!track });
    this.self.play();
  }

  /** Removes the self-view (an observer has none). */
  removeSelf() {
    if (this.self) this.self.remove();
    this.self = null;
  }

  /** Adds or updates a participant ({id, name, media}); everyone gets a camera tile. */
  upsert(participant) {
    this.people.set(participant.id, participant);
    this.left.delete(participant.id);
    this.tileFor(participant.id, 'camera');
    this.refreshLabels(participant.id);
    this.layout();
  }

  /** Removes every tile of a participant who left. */
  remove(id) {
    this.people.delete(id);
    this.left.add(id);
    for (const source of ['camera', 'screen']) this.drop(`${id}:${source}`);
    this.layout();
  }

  /** Adds or updates the tile of a site camera (a protocol `camera`: {id, name, state, ...}). */
  setCamera(camera) {
    if (!camera || !camera.id) return;
    this.cameraTile(camera.id).setCamera(camera);
    this.layout();
  }

  /** Removes a camera's tile. */
  removeCamera(id) {
    const tile = this.cameras.get(id);
    if (!tile) return;
    if (this.focused === tile) this.focus(null);
    this.cameraSizes.unobserve(tile.root);
    tile.remove();
    this.cameras.delete(id);
    this.onCameraGone(id);
    this.layout();
  }

  /**
   * Matches tiles to the receiving tracks ({participant, source, track}) from the subscriber:
   * microphone and camera go to the camera tile, a screen to its own tile, which is removed when
   * its track is gone. A camera tile stays while its participant is in the room, even without
   * tracks (it shows their initials); one that only existed for tracks goes with them. A site
   * camera's video and sound ({camera, source, track}) go to that camera's tile.
   */
  setBindings(bindings) {
    const wanted = new Map();
    const fromCameras = new Map();
    for (const b of bindings) {
      if (b.camera) {
        if (!fromCameras.has(b.camera)) fromCameras.set(b.camera, []);
        fromCameras.get(b.camera).push(b.track);
        continue;
      }
      if (this.left.has(b.participant)) continue;
      const key = `${b.participant}:${b.source === 'screen' ? 'screen' : 'camera'}`;
      if (!wanted.has(key)) wanted.set(key, []);
      wanted.get(key).push(b.track);
    }
    for (const [key, tile] of this.tiles) {
      if (wanted.has(key)) continue;
      const [participant] = splitKey(key);
      if (tile.source === 'screen' || !this.people.has(participant)) this.drop(key);
      else tile.setTracks([]);
    }
    for (const [key, tracks] of wanted) {
      const [participant, source] = splitKey(key);
      const tile = this.tileFor(participant, source);
      if (tile.setTracks(tracks)) this.start(tile);
      this.refreshLabels(participant);
    }
    for (const [id, tile] of this.cameras) {
      if (fromCameras.has(id)) continue;
      // Recorded footage has a tile only while its track is there.
      if (tile.recording) this.removeCamera(id);
      else this.setCameraTracks(tile, []);
    }
    for (const [id, tracks] of fromCameras) this.setCameraTracks(this.cameraTile(id), tracks);
    this.layout();
  }

  setCameraTracks(tile, tracks) {
    const videoOf = (list) => list.find((tr) => tr.kind === 'video') || null;
    const before = videoOf(tile.tracks);
    if (tile.setTracks(tracks)) this.start(tile);
    const after = videoOf(tile.tracks);
    if (after !== before) this.onCameraTrack(tile.id, !!after);
  }

  // Tells what a camera tile calls for now: its enlargement or its displayed width decides.
  reportQuality(tile) {
    this.onCameraQuality(tile.id, qualityFor({ enlarged: this.focused === tile, width: tile.displayWidth || 0 }));
  }

  /** Sends every participant's sound to the chosen speaker (where the browser can). */
  setSinkId(sinkId) {
    this.sinkId = sinkId;
    for (const tile of this.all()) this.applySink(tile);
  }

  /** Retries playback after the person touched the page (sound was blocked). */
  playAll() {
    for (const tile of this.all()) this.start(tile);
  }

  destroy() {
    this.listeners.abort();
    this.resize.disconnect();
    this.cameraSizes.disconnect();
    for (const tile of this.all()) tile.remove();
    this.tiles.clear();
    this.cameras.clear();
    if (this.self) this.self.remove();
    this.self = null;
    this.focused = null;
    this.container.classList.remove('focused');
    this.empty.hidden = true;
  }

  tileFor(participant, source) {
    const key = `${participant}:${source}`;
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = new Tile(this.template, participant, source);
      this.tiles.set(key, tile);
      this.applySink(tile);
      // People's camera tiles after the site cameras, in arrival order; screens after them.
      if (source === 'screen' || !this.firstScreen()) this.container.insertBefore(tile.root, this.self ? this.self.root : null);
      else this.container.insertBefore(tile.root, this.firstScreen());
      tile.setEnlarged(false);
    }
    return tile;
  }

  cameraTile(id) {
    let tile = this.cameras.get(id);
    if (!tile) {
      tile = new CameraTile(this.cameraTemplate, id);
      const live = [...this.cameras.values()].filter((x) => !x.recording);
      const source = recordedSource(id, live.map((x) => x.id));
      if (source) tile.setRecording(recordingView(this.cameras.get(source).camera.name || source));
      this.cameras.set(id, tile);
      this.applySink(tile);
      // Cameras before everyone else, in the order they became known.
      this.container.insertBefore(tile.root, this.container.querySelector('.tile:not([data-camera])'));
      tile.setEnlarged(false);
      this.cameraSizes.observe(tile.root);
      if (this.pendingFocus === id) {
        this.pendingFocus = null;
        this.focus(tile);
      }
    }
    return tile;
  }

  /** Every tile of the grid but the self-view: cameras first. */
  all() {
    return [...this.cameras.values(), ...this.tiles.values()];
  }

  firstScreen() {
    return this.container.querySelector('.tile[data-source="screen"]');
  }

  refreshLabels(id) {
    const p = this.people.get(id);
    const name = p ? p.name : t('call.unknown');
    // Tracks of someone not (yet) in the participant list count as on.
    const media = (p && p.media) || { audio: true, video: true };
    const camera = this.tiles.get(`${id}:camera`);
    // An observer has no microphone to be off.
    const micOff = !media.audio && !(p && isReceiveOnly(p.role));
    if (camera) camera.update({ name, micOff, wantVideo: media.video !== false });
    const screen = this.tiles.get(`${id}:screen`);
    if (screen) screen.update({ name: t('call.screenOf', { name }), micOff: false, wantVideo: true });
    for (const tile of [camera, screen]) if (tile) tile.setEnlarged(this.focused === tile);
  }

  drop(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    if (this.focused === tile) this.focus(null);
    tile.remove();
    this.tiles.delete(key);
  }

  async start(tile) {
    const ok = await tile.play();
    if (!ok) this.onSoundBlocked();
  }

  applySink(tile) {
    if (!this.sinkId || typeof tile.video.setSinkId !== 'function') return;
    tile.video.setSinkId(this.sinkId).catch((err) => console.warn('vigie: speaker not usable', err));
  }

  // Click or key on a tile: enlarge it, or go back to the grid. Returns whether a tile was hit.
  toggleFrom(target) {
    // A button on a tile (a camera's mute) does its own thing.
    if (target.closest('button')) return false;
    const root = target.closest('.tile');
    if (!root || root.dataset.source === 'self') return false;
    const tile = this.all().find((x) => x.root === root);
    if (!tile) return false;
    this.focus(this.focused === tile ? null : tile);
    return true;
  }

  focus(tile) {
    const was = this.focused;
    if (was) was.setEnlarged(false);
    this.focused = tile;
    if (tile) tile.setEnlarged(true);
    this.container.classList.toggle('focused', !!tile);
    this.layout();
    // Enlarging asks for the main stream at once, whatever size the tile reaches; going back to
    // the grid asks for what the tile's new size calls for.
    for (const x of [was, tile]) {
      if (!(x instanceof CameraTile) || this.cameras.get(x.id) !== x) continue;
      x.displayWidth = x.root.getBoundingClientRect().width;
      this.reportQuality(x);
    }
    if (was !== tile) this.onFocusCamera(tile instanceof CameraTile ? tile.id : null);
  }

  // Picks the number of columns that gives the biggest tiles in the space available.
  layout() {
    const n = this.tiles.size + this.cameras.size;
    this.empty.hidden = n > 0;
    this.container.dataset.count = String(n);
    if (n === 0) return;
    const { width, height } = this.container.getBoundingClientRect();
    // A phone held upright fits more, bigger tiles at 4:3 than at 16:9 (the stylesheet agrees).
    const portrait = height > width * 1.2;
    const aspect = portrait ? 4 / 3 : 16 / 9;
    let best = 1;
    let bestWidth = 0;
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const w = Math.min(width / cols, (height / rows) * aspect);
      if (w > bestWidth + 1) { bestWidth = w; best = cols; }
    }
    this.container.dataset.shape = portrait ? 'portrait' : 'landscape';
    this.container.dataset.cols = String(best);
    this.container.dataset.rows = String(Math.ceil(n / best));
  }
}

function splitKey(key) {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}
