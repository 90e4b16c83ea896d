// Recorded footage on an incident's card (docs/recording.md, NVR playback): a form that plays a
// time range of one of the site's cameras in the incident's room, and one line per recording
// playing there, with Pause/Resume, Stop and Save clip. A recording that ended (its range played
// out, or stopped) keeps its line, "ended", with Save clip and Dismiss, while the server keeps it
// (docs/recording.md); when the server forgets it, the panel says its clip is no longer available. The card keeps its panel across refreshes
// (what is typed stays); console.js asks each panel to load its list with every refresh. Lines
// are updated in place, so a button keeps the focus while its words change.

import * as api from './console-api.js';
import { formatClock, t } from './console-i18n.js';
import { el } from './console-view.js';
import { checkRange, defaultRange } from './footage.js';

/** The site's cameras that have a recorder vigie can play from. */
export function playbackCameras(site) {
  return ((site && site.cameras) || []).filter((c) => c.playback === true);
}

/** The sentence for a failed start or action ("pause", "resume", "stop", "clip", "dismiss"): err is an ApiError. */
export function playbackError(err, action = '') {
  if (err.code === 'network' || err.status === 0) return t('error.network');
  if (action === 'clip' && err.status >= 500 && err.status !== 502 && err.status !== 504) return t('playback.error.clip');
  switch (err.status) {
    case 400:
      return /camera/i.test(err.message) ? t('playback.error.camera') : t('playback.error.range');
    case 404:
      return t(action === 'clip' || action === 'dismiss' ? 'playback.error.clipGone' : 'playback.error.gone');
    case 409:
      if (err.code === 'ended') return t('playback.error.ended');
      // The incident closed, or a clip asked for before anything was shown.
      return /closed/i.test(err.message) ? t('playback.error.closed') : t('playback.error.noFootage');
    case 429:
      return t('playback.error.tooMany');
    case 502:
    case 504:
      return t('playback.error.recorder');
    default:
      return t('error.generic', { message: err.message || err.code });
  }
}

// A label tied to its control by for/id, beside it rather than around it: the control's name is
// the label's words alone, not "Camera Cour" with the chosen option.
function field(className, label, control) {
  const wrap = el('div', `playback-field ${className}`);
  const text = el('label', 'playback-label-text', label);
  text.htmlFor = control.id;
  wrap.append(text, control);
  return wrap;
}

function button(className, action, pid, text) {
  const b = el('button', `btn btn-small ${className}`, text);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.playback = pid;
  b.dataset.key = `${action}-${pid}`;
  return b;
}

/**
 * What a playback's line shows, from the server's view of it ({state, recorded_at, until}):
 * state "playing", "paused" or "ended", its words, and its buttons' actions in order.
 */
export function playbackLine(view, camera) {
  const state = view.state === 'ended' || view.state === 'paused' ? view.state : 'playing';
  const at = new Date(view.recorded_at);
  const time = Number.isNaN(at.getTime()) ? '\u2014' : formatClock(at);
  const text = t('playback.line', { camera, time, state: t(`playback.state.${state}`) });
  if (state === 'ended') {
    const until = new Date(view.until);
    const note = Number.isNaN(until.getTime()) ? '' : t('playback.endedUntil', { until: formatClock(until) });
    return { state, text, note, actions: ['clip', 'dismiss'] };
  }
  return { state, text, note: '', actions: [state === 'paused' ? 'resume' : 'pause', 'clip', 'stop'] };
}

/** The sentence when a line leaves the list without being dismissed here. */
export function playbackGoneWords(view, camera) {
  return t(view && view.state === 'ended' ? 'playback.forgotten' : 'playback.gone', { camera });
}

function setMessage(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

export class PlaybackPanel {
  /**
   * inc is the incident ({id, site, opened_at}), site its site with cameras marked playback;
   * onSessionEnd() is called when the server no longer knows the session, onIncidentGone() when
   * the incident was closed or deleted meanwhile (the console refreshes its list).
   */
  constructor({ inc, site, onSessionEnd, onIncidentGone }) {
    this.incident = inc.id;
    this.siteName = (site && site.name) || inc.site;
    this.cameras = playbackCameras(site);
    this.onSessionEnd = onSessionEnd;
    this.onIncidentGone = onIncidentGone;
    this.lines = new Map(); // playback id → {item, text, range, note, toggle, stop, clip, dismiss, view}
    this.dismissed = new Set(); // ids dismissed here: their lines leave without a word
    this.root = this.build(inc);
    this.root.addEventListener('submit', (e) => this.onPlay(e));
    this.root.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-playback]');
      if (b) this.onAction(b);
    });
    this.root.addEventListener('input', () => this.say('', ''));
  }

  build(inc) {
    const section = el('section', 'playback');
    section.dataset.incident = inc.id;
    const titleId = `playback-title-${inc.id}`;
    const title = el('h4', 'playback-title', t('playback.title'));
    title.id = titleId;
    section.setAttribute('aria-labelledby', titleId);

    const form = el('form', 'playback-form');
    form.noValidate = true;
    form.setAttribute('aria-label', t('playback.formLabel', { site: this.siteName }));
    const camera = el('select');
    camera.name = 'camera';
    camera.id = `playback-camera-${inc.id}`;
    for (const c of this.cameras) {
      const o = el('option', '', c.name || c.id);
      o.value = c.id;
      camera.append(o);
    }
    const range = defaultRange(inc.opened_at);
    const time = (name, value) => {
      const input = el('input');
      input.type = 'datetime-local';
      input.name = name;
      input.id = `playback-${name}-${inc.id}`;
      input.step = '1'; // seconds
      input.required = true;
      input.value = value;
      input.setAttribute('aria-describedby', `playback-hint-${inc.id}`);
      return input;
    };
    const play = el('button', 'btn btn-primary playback-play', t('playback.play'));
    play.type = 'submit';
    play.dataset.key = `playback-play-${inc.id}`;
    const hint = el('p', 'playback-hint muted', t('playback.hint'));
    hint.id = `playback-hint-${inc.id}`;
    this.error = el('p', 'form-error playback-error');
    this.error.setAttribute('role', 'alert');
    this.error.hidden = true;
    this.done = el('p', 'form-done playback-done');
    this.done.setAttribute('role', 'status');
    this.done.hidden = true;
    form.append(
      field('playback-camera', t('playback.camera'), camera),
      field('playback-from', t('playback.from'), time('from', range.from)),
      field('playback-to', t('playback.to'), time('to', range.to)),
      play, hint,
    );
    this.form = form;
    this.playButton = play;

    this.list = el('ul', 'playback-list');
    this.list.setAttribute('aria-label', t('playback.listLabel'));
    this.list.hidden = true;
    this.loadError = el('p', 'playback-load-error muted');
    this.loadError.hidden = true;
    section.append(title, this.list, this.loadError, form, this.error, this.done);
    return section;
  }

  cameraName(id) {
    const c = this.cameras.find((x) => x.id === id);
    return (c && (c.name || c.id)) || id;
  }

  /** Shows one message under the form: tone "error" or "done", '' clears both. */
  say(tone, text) {
    setMessage(this.error, tone === 'error' ? text : '');
    setMessage(this.done, tone === 'done' ? text : '');
  }

  /** Loads the recordings playing in the room and shows them; failures are shown, not thrown. */
  async load() {
    try {
      const data = await api.playbacks(this.incident, true);
      this.render((data && data.playbacks) || []);
      this.loadError.hidden = true;
    } catch (err) {
      if (err.status === 401) {
        this.onSessionEnd();
        return;
      }
      if (err.status === 404 || err.status === 409) return; // the incident is going: its card too
      setMessage(this.loadError, t('playback.error.load'));
    }
  }

  /** Updates the lines in place: one per playback, in the server's order. */
  render(list) {
    const seen = new Set();
    list.forEach((view, i) => {
      seen.add(view.id);
      let line = this.lines.get(view.id);
      if (!line) {
        line = this.line(view.id);
        this.lines.set(view.id, line);
      }
      this.fill(line, view);
      if (this.list.children[i] !== line.item) this.list.insertBefore(line.item, this.list.children[i] || null);
    });
    const gone = [];
    for (const [id, line] of this.lines) {
      if (seen.has(id)) continue;
      if (!this.dismissed.delete(id)) gone.push(playbackGoneWords(line.view, this.cameraName(line.view.camera)));
      line.item.remove();
      this.lines.delete(id);
    }
    if (gone.length) this.say('done', gone.join(' '));
    this.list.hidden = this.lines.size === 0;
  }

  line(pid) {
    const item = el('li', 'playback-item');
    item.dataset.playback = pid;
    const text = el('p', 'playback-line');
    const range = el('p', 'playback-range muted');
    const note = el('p', 'playback-note muted');
    note.hidden = true;
    const actions = el('div', 'playback-actions');
    const toggle = button('btn-outline playback-toggle', 'playback-pause', pid, t('playback.pause'));
    const stop = button('btn-outline-danger playback-stop', 'playback-stop', pid, t('playback.stop'));
    const clip = button('btn-outline playback-clip', 'playback-clip', pid, t('playback.clip'));
    const dismiss = button('btn-outline playback-dismiss', 'playback-dismiss', pid, t('playback.dismiss'));
    dismiss.hidden = true;
    actions.append(toggle, clip, stop, dismiss);
    item.append(text, range, note, actions);
    return { item, text, range, note, toggle, stop, clip, dismiss, view: null };
  }

  fill(line, view) {
    line.view = view;
    const camera = this.cameraName(view.camera);
    const shown = playbackLine(view, camera);
    const paused = shown.state === 'paused';
    const ended = shown.state === 'ended';
    line.item.dataset.state = shown.state;
    line.text.textContent = shown.text;
    setMessage(line.note, shown.note);
    // An ended line keeps Save clip and gains Dismiss; a focused Stop hands the focus to Save clip.
    if (ended && (document.activeElement === line.stop || document.activeElement === line.toggle)) line.clip.focus();
    line.toggle.hidden = ended;
    line.stop.hidden = ended;
    line.dismiss.hidden = !ended;
    const from = new Date(view.from);
    const to = new Date(view.to);
    const known = !Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime());
    setMessage(line.range, known ? t('playback.range', { from: formatClock(from), to: formatClock(to) }) : '');
    // The same button says Pause or Resume: it keeps the focus when it changes.
    line.toggle.dataset.action = paused ? 'playback-resume' : 'playback-pause';
    line.toggle.textContent = t(paused ? 'playback.resume' : 'playback.pause');
    line.toggle.setAttribute('aria-label', t(paused ? 'playback.resumeLabel' : 'playback.pauseLabel', { camera }));
    line.stop.setAttribute('aria-label', t('playback.stopLabel', { camera }));
    line.clip.setAttribute('aria-label', t('playback.clipLabel', { camera }));
    line.dismiss.setAttribute('aria-label', t('playback.dismissLabel', { camera }));
  }

  async onPlay(event) {
    event.preventDefault();
    if (this.form.dataset.busy === 'yes') return;
    const fields = this.form.elements;
    const camera = fields.namedItem('camera').value;
    const from = fields.namedItem('from');
    const to = fields.namedItem('to');
    for (const input of [from, to]) input.removeAttribute('aria-invalid');
    const range = checkRange(from.value, to.value);
    if (range.error) {
      const wrong = range.field === 'from' ? from : to;
      wrong.setAttribute('aria-invalid', 'true');
      this.say('error', t(`playback.error.${range.error}`));
      wrong.focus();
      return;
    }
    this.form.dataset.busy = 'yes';
    this.playButton.setAttribute('aria-disabled', 'true');
    this.playButton.textContent = t('playback.busy');
    this.say('', '');
    try {
      await api.startPlayback(this.incident, { camera, from: range.from, to: range.to });
      this.say('done', t('playback.started', { camera: this.cameraName(camera) }));
      await this.load();
    } catch (err) {
      this.failed(err, playbackError(err));
    } finally {
      this.form.dataset.busy = 'no';
      this.playButton.removeAttribute('aria-disabled');
      this.playButton.textContent = t('playback.play');
    }
  }

  // Buttons are marked busy rather than disabled: a disabled button would lose the focus.
  async onAction(b) {
    const line = this.lines.get(b.dataset.playback);
    if (!line || line.item.dataset.busy) return;
    const action = b.dataset.action.replace(/^playback-/, '');
    const camera = this.cameraName(line.view.camera);
    line.item.dataset.busy = action;
    for (const x of [line.toggle, line.stop, line.clip, line.dismiss]) x.setAttribute('aria-disabled', 'true');
    if (action === 'clip') b.textContent = t('playback.clipBusy');
    this.say('', '');
    try {
      const answer = await api.playbackAction(this.incident, line.view.id, action);
      if (action === 'clip') this.say('done', t('playback.clipDone', { name: (answer && answer.name) || '' }));
      if (action === 'stop') this.say('done', t('playback.stopped', { camera }));
      if (action === 'dismiss') {
        this.dismissed.add(line.view.id);
        this.say('done', t('playback.dismissed', { camera }));
      }
    } catch (err) {
      this.failed(err, playbackError(err, action));
    } finally {
      delete line.item.dataset.busy;
      for (const x of [line.toggle, line.stop, line.clip, line.dismiss]) x.removeAttribute('aria-disabled');
      line.clip.textContent = t('playback.clip');
    }
    await this.load();
  }

  failed(err, words) {
    if (err.status === 401) {
      this.onSessionEnd();
      return;
    }
    this.say('error', words);
    if ((err.status === 409 && /closed/i.test(err.message)) || (err.status === 404 && /incident/i.test(err.message))) {
      this.onIncidentGone();
    }
  }
}
