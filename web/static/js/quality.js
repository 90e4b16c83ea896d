// Which of a camera's two streams each camera tile asks for (docs/protocol.md: `camera_quality`).
// vigie starts every camera track on the camera's sub-stream (when it has one with the main
// stream's codec) and switches on request, without renegotiation: a tile shown large asks for the
// main stream, a small one for the sub-stream.
//
// A tile is large when it is enlarged, or simply displayed wider than the sub-stream's own width:
// past that the sub-stream would be stretched. Sizes change in bursts (a window being resized, the
// grid reflowing when someone joins), so a tile's wish is only sent once it has held for a moment,
// and only when it differs from what the server was last told for that camera's current track.

/** A camera tile displayed wider than this, in CSS pixels, asks for the main stream. */
export const LARGE_TILE_PX = 640;

/** How long a tile's size must hold before the server is told, in milliseconds. */
export const QUALITY_DELAY_MS = 300;

/** The quality a camera tile calls for: "main" when enlarged or wide, "sub" otherwise. */
export function qualityFor({ enlarged, width }) {
  return enlarged || width > LARGE_TILE_PX ? 'main' : 'sub';
}

export class CameraQuality {
  /** send(camera, quality) sends `camera_quality` and returns whether it went out. */
  constructor({ send, delay = QUALITY_DELAY_MS }) {
    this.send = send;
    this.delay = delay;
    // By camera id: {want, sent, hasTrack, timer}.
    this.cameras = new Map();
  }

  /** A camera's tile now calls for this quality ("main" or "sub"). */
  want(id, quality) {
    const cam = this.entry(id);
    cam.want = quality;
    this.schedule(id, cam);
  }

  /**
   * The camera's video track changed (or went): a new track is a new subscription on the server,
   * which starts on its own choice of stream, so the tile's wish is told again.
   */
  trackChanged(id, hasTrack) {
    const cam = this.entry(id);
    cam.hasTrack = hasTrack;
    cam.sent = '';
    this.schedule(id, cam);
  }

  /** Forgets a camera whose tile is gone. */
  forget(id) {
    const cam = this.cameras.get(id);
    if (cam) clearTimeout(cam.timer);
    this.cameras.delete(id);
  }

  /** What each camera asks for now, by id (for the page state and the tests). */
  wanted() {
    const out = {};
    for (const [id, cam] of this.cameras) if (cam.want) out[id] = cam.want;
    return out;
  }

  destroy() {
    for (const cam of this.cameras.values()) clearTimeout(cam.timer);
    this.cameras.clear();
  }

  entry(id) {
    let cam = this.cameras.get(id);
    if (!cam) {
      cam = { want: '', sent: '', hasTrack: false, timer: 0 };
      this.cameras.set(id, cam);
    }
    return cam;
  }

  // Waits for the wish to hold, then sends it if the server was told otherwise. Without a track
  // there is nothing on the server to switch yet: the wish waits for the track. A wish that could
  // not go out (the signaling socket between two connections) is tried again after the delay,
  // for as long as the track is there.
  schedule(id, cam) {
    clearTimeout(cam.timer);
    cam.timer = 0;
    if (!cam.hasTrack || !cam.want || cam.want === cam.sent) return;
    cam.timer = setTimeout(() => {
      cam.timer = 0;
      if (this.cameras.get(id) !== cam || !cam.hasTrack || cam.want === cam.sent) return;
      if (this.send(id, cam.want)) cam.sent = cam.want;
      else this.schedule(id, cam);
    }, this.delay);
  }
}
