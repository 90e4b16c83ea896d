// The chat panel. Messages come back from the server to everyone, their author included, so a
// message is shown when the server sends it, never optimistically: what is on screen is what the
// room received. Text is always set with textContent. Each message has the room's sequence number
// `seq`: the history given at join and at a resume may repeat messages already shown, which are
// skipped, so every message is shown once, in order.

import { byId, el, show } from './dom.js';
import { formatTime, t } from './i18n.js';

export const MAX_CHAT_LENGTH = 2000;

export class Chat {
  /**
   * send(text) returns whether the message left; onUnread(n) is told the number of messages
   * that arrived while the panel was closed; onTooLong() when a message is over the limit.
   */
  constructor({ send, onUnread, onTooLong }) {
    this.send = send;
    this.onUnread = onUnread;
    this.onTooLong = onTooLong;
    this.selfId = '';
    this.unread = 0;
    // The highest sequence number shown: a resume asks for what came after.
    this.lastSeq = 0;
    this.panel = byId('chat-panel');
    this.list = byId('chat-messages');
    this.empty = byId('chat-empty');
    this.input = byId('chat-input');
    this.listeners = new AbortController();
    byId('chat-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); },
      { signal: this.listeners.signal });
    this.list.replaceChildren();
    show(this.empty, true);
  }

  isOpen() {
    return !this.panel.hidden;
  }

  /** Opening the panel reads every message. */
  setOpen(open) {
    show(this.panel, open);
    if (open) {
      this.unread = 0;
      this.onUnread(0);
      this.scrollToEnd();
      this.input.focus();
    }
  }

  /** Shows the history the server sends at join and resume, oldest first; none counts as unread. */
  addAll(list) {
    for (const msg of list) this.add(msg, { history: true });
  }

  /** Shows a chat message from the server: {seq, id, from: {id, name}, text, at}. */
  add(msg, { history = false } = {}) {
    const seq = Number(msg.seq) || 0;
    if (seq && seq <= this.lastSeq) return;
    if (seq) this.lastSeq = seq;
    const from = msg.from || {};
    const mine = from.id === this.selfId;
    const item = el('li', mine ? 'chat-message mine' : 'chat-message');
    if (msg.id) item.dataset.id = msg.id;
    const head = el('p', 'chat-head');
    head.append(el('span', 'chat-author', mine ? t('call.you') : from.name || t('call.unknown')));
    const at = parseTime(msg.at);
    const time = el('time', 'chat-time', formatTime(at));
    time.dateTime = at.toISOString();
    head.append(time);
    item.append(head, el('p', 'chat-text', String(msg.text ?? '')));
    const atEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.append(item);
    show(this.empty, false);
    if (atEnd || mine) this.scrollToEnd();
    if (!this.isOpen() && !mine && !history) {
      this.unread += 1;
      this.onUnread(this.unread);
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_CHAT_LENGTH) {
      this.onTooLong();
      return;
    }
    if (this.send(text)) this.input.value = '';
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  destroy() {
    this.listeners.abort();
    show(this.panel, false);
  }
}

// The server's RFC 3339 time; a missing or broken one shows the time of arrival instead.
function parseTime(value) {
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? new Date() : at;
}
