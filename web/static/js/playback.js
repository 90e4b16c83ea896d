// The label on a recorded camera track (docs/recording.md, `playback_status`):
// "enregistré — 14:02:10" / "recorded — 14:02:10", the time of the picture shown.

import { lang } from './i18n.js';

const words = {
  en: { recorded: 'recorded', paused: 'paused' },
  fr: { recorded: 'enregistré', paused: 'en pause' },
};

/** The label's text for a playback_status message, in the page's language. */
export function playbackLabel(m) {
  const w = words[lang] ?? words.en;
  const at = new Date(m.recorded_at);
  const time = Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString(lang, { hour12: false });
  const text = `${w.recorded} \u2014 ${time}`;
  return m.state === 'paused' ? `${text} (${w.paused})` : text;
}

/** Shows m on the recorded track's tile, if the page has it; removes the label once stopped. */
export function showPlaybackStatus(root, m) {
  const tile = [...root.querySelectorAll('[data-camera]')].find((el) => el.dataset.camera === m.track);
  if (!tile) return;
  let label = tile.querySelector('.playback-label');
  if (m.state === 'stopped') {
    label?.remove();
    return;
  }
  if (!label) {
    label = document.createElement('span');
    label.className = 'playback-label tile-name';
    tile.append(label);
  }
  label.textContent = playbackLabel(m);
}
