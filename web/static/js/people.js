// The participant list: who is in the room, in which role, with microphone and camera state in
// words (not only icons) so that it reads well with a screen reader too.

import { byId, el, show } from './dom.js';
import { t } from './i18n.js';

export class People {
  constructor() {
    this.panel = byId('people-panel');
    this.list = byId('people-list');
    this.count = byId('people-count');
  }

  isOpen() {
    return !this.panel.hidden;
  }

  setOpen(open) {
    show(this.panel, open);
  }

  /** Redraws the list: the person first, then the others by name. */
  render(self, others) {
    const sorted = [...others].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const items = [];
    if (self) items.push(this.item(self, true));
    for (const p of sorted) items.push(this.item(p, false));
    this.list.replaceChildren(...items);
    this.count.textContent = `(${items.length})`;
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
    state.append(
      chip(media.audio ? t('people.micOn') : t('people.micOff'), !!media.audio),
      chip(media.video ? t('people.camOn') : t('people.camOff'), !!media.video),
    );
    if (media.screen) state.append(chip(t('people.screen'), true));
    li.append(who, state);
    return li;
  }

  destroy() {
    show(this.panel, false);
    this.list.replaceChildren();
  }
}

function chip(text, on) {
  return el('span', on ? 'chip on' : 'chip off', text);
}
