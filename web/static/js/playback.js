// Recorded footage in the room (docs/recording.md, `playback_status`): the server shows a range
// of a camera's recorder as the track "<camera>-rec-<id>". Its tile says so at once: the camera's
// name, and where a live camera's badge says "live", a badge in its own colour with the label
// "enregistré — 14:02:10" / "recorded — 14:02:10", the time of the picture shown, which
// advances while it plays. The tile goes when the playback stops.

import { lang } from './i18n.js';

const words = {
  en: { recorded: 'recorded', paused: 'paused', waiting: 'Loading the recording\u2026' },
  fr: { recorded: 'enregistré', paused: 'en pause', waiting: 'Chargement de l\u2019enregistrement\u2026' },
};

const w = () => words[lang] ?? words.en;

/** The label's text for a playback_status message, in the page's language. */
export function playbackLabel(m) {
  const at = new Date(m.recorded_at);
  const time = Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString(lang, { hour12: false });
  const text = `${w().recorded} \u2014 ${time}`;
  return m.state === 'paused' ? `${text} (${w().paused})` : text;
}

/**
 * What a recorded tile shows (CameraTile.setRecording) for camera name, from a playback_status
 * message m, or before any (m null: no time yet).
 */
export function recordingView(name, m = null) {
  return {
    name,
    label: m ? playbackLabel(m) : '',
    state: m && m.state === 'paused' ? 'paused' : 'playing',
    badge: w().recorded,
    waiting: w().waiting,
  };
}

/**
 * Shows m on the recorded track's tile of grid (a TileGrid), if the page has it yet; removes the
 * tile once the playback stopped.
 */
export function showPlaybackStatus(grid, m) {
  if (!m || !m.track) return;
  if (m.state === 'stopped') {
    grid.removeCamera(m.track);
    return;
  }
  const tile = grid.cameras.get(m.track);
  if (!tile) return;
  const source = grid.cameras.get(m.camera);
  const name = (source && source.camera.name) || (tile.recording && tile.recording.name) || m.camera;
  tile.setRecording(recordingView(name, m));
}
