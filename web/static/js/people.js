// The participant list: who is in the room, in which role, with microphone and camera state in
// words (not only icons) so that it reads well with a screen reader too; then the site's cameras
// and their state.

import { audioNoteWords, cameraName, cameraStateWord, cameraStatus } from './cameras.js';
import { byId, el, show } from './dom.js';
import { t } from './i18n.js';
import { isReceiveOnly } from './link.js';

export class People {
  constructor() {
    this.panel = byId('people-panel');
    this.list = byId('people-list');
    this.count = byId('people-count');
    this.cameraSection = byId('people-cameras-section');
    this.cameraList = byId('people-cameras');
    this.cameraCount = byId('people-cameras-count');
  }

  isOpen() {
    return !this.panel.hidden;
  }

  setOpen(open) {
    show(this.panel, open);
  }

  /** Redraws the list: the person first, then the others by name, then the cameras. */
  render(self, others, cameras = []) {
    const sorted = [...others].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const items = [];
    if (self) items.push(this.item(self, true));
    for (const p of sorted) items.push(this.item(p, false));
    this.list.replaceChildren(...items);
    this.count.textContent = `(${items.length})`;
    const cams = [...cameras].map((c) => this.cameraItem(c));
    this.cameraList.replaceChildren(...cams);
    this.cameraCount.textContent = `(${cams.length})`;
    show(this.cameraSection, cams.length > 0);
  }

  item(p, isSelf) {
    const media = p.media || {};
    const li = el('li', 'person');
    li.dataset.participant = p.id;
    const who = el('div', 'person-who');
    who.append(el('span', 'person-name', isSelf ? t('call.youSuffix', { name: p.name }) : p.name));
    const roleKey = `role.${p.role}`;
    const role = t(roleKey);
    who.append(el('span', 'person-role', role === roleKey ? String(p.role || '') : role));
    const state = el('div', 'person-state');
    if (isReceiveOnly(p.role)) {
      // An observer has no microphone or camera to be on or off.
      state.append(el('span', 'chip neutral', t('people.watching')));
    } else {
      state.append(
        chip(media.audio ? t('people.micOn') : t('people.micOff'), !!media.audio),
        chip(media.video ? t('people.camOn') : t('people.camOff'), !!media.video),
      );
    }
    if (media.screen) state.append(chip(t('people.screen'), true));
    li.append(who, state);
    return li;
  }

  cameraItem(camera) {
    const status = cameraStatus(camera);
    const li = el('li', 'person camera-item');
    li.dataset.camera = camera.id;
    li.dataset.state = status.kind;
    const who = el('div', 'person-who');
    who.append(el('span', 'person-name', cameraName(camera)), el('span', 'person-role', t('role.camera')));
    const state = el('div', 'person-state');
    const kind = status.kind === 'live' ? 'chip on' : status.kind === 'failed' ? 'chip off' : 'chip wait';
    state.append(el('span', kind, cameraStateWord(status.kind)));
    li.append(who, state);
    // Why it is not live, and why there is no sound, in words.
    const why = status.kind === 'failed' ? status.text : status.detail;
    if (why) li.append(el('p', 'person-note', why));
    const note = audioNoteWords(camera.audio_note);
    if (note) li.append(el('p', 'person-note', note));
    return li;
  }

  destroy() {
    show(this.panel, false);
    this.list.replaceChildren();
    this.cameraList.replaceChildren();
    show(this.cameraSection, false);
  }
}

function chip(text, on) {
  return el('span', on ? 'chip on' : 'chip off', text);
}
