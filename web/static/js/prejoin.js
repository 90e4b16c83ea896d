// The pre-join screen: checks the link with the server, lets the person see and hear themselves,
// pick devices and a display name, then hands over to the call on an explicit click. Opening a
// link never joins anything: mail scanners open links too.
//
// An incident's invitation shows the incident first (alarm, site, address, time). An observer's
// link sends neither sound nor video: its page asks for no camera or microphone at all.

import { byId, el, initials, show } from './dom.js';
import { canPickSpeaker, isRefusal, listDevices, mediaErrorKey } from './devices.js';
import { alarmKindWords, errorWords, formatDateTime, formatTime, t } from './i18n.js';
import { LevelMeter } from './meter.js';
import { isInvitationToken, isReceiveOnly } from './link.js';

// Errors that a second try may fix; the others need a new link.
const RETRYABLE = new Set(['network', 'internal', 'generic']);

/** Asks the server whether the link is good; resolves to join-info or throws {code}. */
export async function fetchJoinInfo(roomId, token) {
  const url = `/api/v1/join-info?room=${encodeURIComponent(roomId)}&t=${encodeURIComponent(token)}`;
  let res;
  try {
    res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
  } catch {
    throw codeError('network');
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON: a proxy's error page */ }
  if (res.ok && body && body.room) return body;
  const code = body && body.error && body.error.code;
  throw codeError(code || (res.status >= 500 ? 'internal' : 'generic'));
}

function codeError(code) {
  const err = new Error(code);
  err.code = code;
  return err;
}

export class Prejoin {
  /** onJoin(name) is called when the person clicks Join. */
  constructor({ roomId, token, local, onJoin }) {
    this.roomId = roomId;
    this.token = token;
    this.local = local;
    this.onJoin = onJoin;
    this.info = null;
    this.active = false;
    this.starting = false;
    this.camOffChosen = false;
    this.meter = new LevelMeter(byId('mic-meter'));
    this.meterTrack = null;
    this.ui = {
      loading: byId('prejoin-loading'), error: byId('prejoin-error'), form: byId('prejoin-form'),
      video: byId('preview-video'), off: byId('preview-off'), offInitials: byId('preview-initials'),
      offText: byId('preview-off-text'), notice: byId('media-notice'), noticeText: byId('media-notice-text'),
      retry: byId('media-retry'), roomName: byId('room-name'), expiry: byId('link-expiry'),
      name: byId('display-name'), camOff: byId('prejoin-cam-off'), micOff: byId('prejoin-mic-off'),
      join: byId('join-button'), previewColumn: byId('preview-column'), switches: byId('prejoin-switches'),
      roleNote: byId('role-note'), roomHeading: byId('room-heading'), incident: byId('incident'),
      incidentKind: byId('incident-kind'), incidentOpened: byId('incident-opened'),
      incidentSite: byId('incident-site'), incidentAddress: byId('incident-address'),
    };
    this.bind();
  }

  bind() {
    const ui = this.ui;
    ui.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    ui.camOff.addEventListener('change', () => {
      this.camOffChosen = ui.camOff.checked;
      this.local.setCamOn(!ui.camOff.checked);
    });
    ui.micOff.addEventListener('change', () => this.local.setMicOn(!ui.micOff.checked));
    ui.retry.addEventListener('click', () => this.retryMedia());
    ui.name.addEventListener('input', () => this.renderPreview());
    this.local.addEventListener('change', () => { if (this.active) this.renderMedia(); });
    byId('pick-camera').addEventListener('change', (e) => this.local.useCamera(e.target.value));
    byId('pick-mic').addEventListener('change', (e) => this.local.useMicrophone(e.target.value));
    byId('pick-speaker').addEventListener('change', (e) => { this.local.speakerId = e.target.value; });
    if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
      navigator.mediaDevices.addEventListener('devicechange', () => { if (this.active) this.fillDevices(); });
    }
  }

  /** Shows the screen: checks the link, then opens the devices for the preview. */
  async open() {
    this.active = true;
    this.setBusy(false);
    show(this.ui.loading, true);
    show(this.ui.error, false);
    show(this.ui.form, false);
    if (!this.token) {
      this.showError('token_missing');
      return;
    }
    try {
      this.info = await fetchJoinInfo(this.roomId, this.token);
    } catch (err) {
      this.showError(err.code || 'network');
      return;
    }
    this.renderInfo();
    show(this.ui.loading, false);
    show(this.ui.form, true);
    if (this.receiveOnly()) return;
    // Until the devices have answered, the preview shows nothing rather than "Camera off".
    this.starting = true;
    this.renderMedia();
    await this.local.start();
    this.starting = false;
    this.renderMedia();
    await this.fillDevices();
  }

  /** Stops the preview when the call takes over (the devices stay open for the call). */
  close() {
    this.active = false;
    this.ui.video.srcObject = null;
    this.meter.detach();
    this.meterTrack = null;
  }

  /** Whether this link only watches and writes: no camera, no microphone. */
  receiveOnly() {
    return !!this.info && isReceiveOnly(this.info.role);
  }

  /** Replaces the screen with the sentence for an error code, and what to do about it. */
  showError(code) {
    this.close();
    const incident = !!(this.info && this.info.incident) || isInvitationToken(this.token);
    const { title, advice } = errorWords(code, { incident });
    const box = this.ui.error;
    box.replaceChildren(el('h1', 'error-title', title), el('p', 'error-advice', advice));
    if (RETRYABLE.has(code)) {
      const retry = el('button', 'button primary', t('prejoin.retry'));
      retry.type = 'button';
      retry.addEventListener('click', () => this.open());
      box.append(retry);
    }
    show(this.ui.loading, false);
    show(this.ui.form, false);
    show(box, true);
  }

  renderInfo() {
    const { info, ui } = this;
    ui.roomName.textContent = info.room.name || info.room.id;
    document.title = `${info.room.name || info.room.id} \u2013 vigie`;
    if (!ui.name.value) ui.name.value = info.name || '';
    const expires = parseTime(info.expires_at);
    ui.expiry.textContent = expires ? t('prejoin.expires', { time: formatDateTime(expires) }) : '';
    show(ui.expiry, !!expires);
    this.renderIncident();
    const receiveOnly = this.receiveOnly();
    show(ui.roleNote, receiveOnly);
    show(ui.previewColumn, !receiveOnly);
    show(ui.switches, !receiveOnly);
    ui.form.classList.toggle('receive-only', receiveOnly);
  }

  // The incident above the room's name: the alarm, the site, its address, when it was opened.
  renderIncident() {
    const { ui } = this;
    const incident = this.info.incident;
    show(ui.incident, !!incident);
    show(ui.roomHeading, true);
    if (!incident) return;
    ui.incidentKind.textContent = alarmKindWords(incident.kind);
    const opened = parseTime(incident.opened_at);
    ui.incidentOpened.textContent = opened ? openedWords(opened) : '';
    show(ui.incidentOpened, !!opened);
    ui.incidentSite.textContent = incident.site || this.info.room.name || '';
    show(ui.incidentSite, !!ui.incidentSite.textContent);
    ui.incidentAddress.textContent = incident.address || '';
    show(ui.incidentAddress, !!incident.address);
    // An incident's room is named after its site: the name once is enough.
    const roomName = this.info.room.name || this.info.room.id;
    show(ui.roomHeading, roomName !== ui.incidentSite.textContent);
    const what = [alarmKindWords(incident.kind), ui.incidentSite.textContent].filter(Boolean).join(' \u2013 ');
    document.title = `${what} \u2013 vigie`;
  }

  renderMedia() {
    const { local, ui } = this;
    // A device that cannot be had shows as "off", and its switch cannot be turned back on here.
    const camMissing = this.missing('video');
    const micMissing = this.missing('audio');
    ui.camOff.checked = !local.camOn || camMissing;
    ui.camOff.disabled = camMissing;
    ui.micOff.checked = !local.micOn || micMissing;
    ui.micOff.disabled = micMissing;
    this.renderPreview();
    if (local.micTrack !== this.meterTrack) {
      this.meterTrack = local.micTrack;
      this.meter.attach(local.micTrack);
    }
    show(this.meter.container, !!local.micTrack);
    this.renderNotice();
  }

  // Whether a device kind was wanted but could not be opened (or cannot be at all).
  missing(kind) {
    const local = this.local;
    const track = kind === 'audio' ? local.micTrack : local.camTrack;
    return !track && (local.availability !== 'ok' || !!local.errors[kind]);
  }

  renderPreview() {
    const { local, ui } = this;
    const track = local.camOn ? local.camTrack : null;
    if (track && (!ui.video.srcObject || ui.video.srcObject.getVideoTracks()[0] !== track)) {
      ui.video.srcObject = new MediaStream([track]);
    } else if (!track) {
      ui.video.srcObject = null;
    }
    show(ui.off, !track);
    ui.offInitials.textContent = initials(ui.name.value || (this.info && this.info.name));
    if (this.starting) ui.offText.textContent = '';
    else ui.offText.textContent = this.missing('video') ? t('prejoin.noCamera') : t('prejoin.previewOff');
  }

  renderNotice() {
    const words = this.mediaWords();
    show(this.ui.notice, !!words);
    if (!words) return;
    this.ui.noticeText.textContent = words.text;
    show(this.ui.retry, words.retry);
  }

  // The sentences about the devices, or null when all is well.
  mediaWords() {
    const local = this.local;
    if (local.availability !== 'ok') {
      return { text: `${t(`media.${local.availability}`)} ${t('prejoin.receiveOnly')}`, retry: false };
    }
    const keys = new Set();
    if (local.errors.video && !local.camTrack) keys.add(mediaErrorKey(local.errors.video, 'video'));
    if (local.errors.audio && !local.micTrack) keys.add(mediaErrorKey(local.errors.audio, 'audio'));
    if (keys.size === 0) return null;
    const parts = [...keys].map((k) => t(k));
    if (!local.micTrack && !local.camTrack) parts.push(t('prejoin.receiveOnly'));
    else if (!local.camTrack && !keys.has('media.denied')) parts.push(t('prejoin.soundOnly'));
    return { text: parts.join(' '), retry: true };
  }

  async retryMedia() {
    if (this.receiveOnly()) return;
    this.local.camOn = !this.camOffChosen;
    await this.local.start();
    await this.fillDevices();
  }

  // Device pickers appear only where a choice can help: not when access is refused or
  // impossible, and the speaker only where the browser can route sound.
  async fillDevices() {
    let found;
    try { found = await listDevices(); } catch { return; }
    const local = this.local;
    const refused = local.availability !== 'ok' || [local.errors.audio, local.errors.video]
      .some(isRefusal);
    const cameras = refused ? [] : found.cameras;
    const microphones = refused ? [] : found.microphones;
    const speakers = canPickSpeaker() ? found.speakers : [];
    fillSelect('pick-camera', cameras, t('prejoin.camera'), currentDevice(local.camTrack, local.camId));
    fillSelect('pick-mic', microphones, t('prejoin.microphone'), currentDevice(local.micTrack, local.micId));
    fillSelect('pick-speaker', speakers, t('prejoin.speaker'), local.speakerId);
  }

  submit() {
    if (this.ui.join.disabled || !this.info) return;
    const name = this.ui.name.value.trim().slice(0, 64) || this.info.name;
    this.setBusy(true);
    this.onJoin(name);
  }

  setBusy(busy) {
    this.ui.join.disabled = busy;
    this.ui.join.textContent = busy ? t('prejoin.joining') : t('prejoin.join');
  }
}

// "opened at 14:02" today, "opened on 27 November at 23:50" another day, in the browser's time.
function openedWords(date) {
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? t('incident.openedAt', { time: formatTime(date) }) : t('incident.openedOn', { time: formatDateTime(date) });
}

function currentDevice(track, wanted) {
  const settings = track && track.getSettings ? track.getSettings() : {};
  return settings.deviceId || wanted || '';
}

// Fills a device picker and hides it when there is nothing to choose from.
function fillSelect(id, devices, kind, selected) {
  const select = byId(id);
  const options = devices.map((d, i) => {
    const option = el('option', '', d.label || t('prejoin.deviceN', { kind, n: i + 1 }));
    option.value = d.deviceId;
    option.selected = d.deviceId === selected;
    return option;
  });
  select.replaceChildren(...options);
  show(byId(`${id}-field`), devices.length > 0);
}

// expires_at may be RFC 3339 text or Unix seconds; anything else is not shown.
function parseTime(value) {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  return null;
}
