// The control bar at the bottom of the call. Buttons say what they will do ("Turn camera on"),
// and look different when a device is off, so the state is clear at a glance and to a screen
// reader.

import { byId, show } from './dom.js';
import { canShareScreen } from './devices.js';
import { t } from './i18n.js';

export class Controls {
  /** handlers: {mic, cam, screen, chat, people, leave}, each called on a click. */
  constructor(handlers) {
    this.buttons = {
      mic: byId('btn-mic'), cam: byId('btn-cam'), screen: byId('btn-screen'),
      chat: byId('btn-chat'), people: byId('btn-people'), leave: byId('btn-leave'),
    };
    this.unread = byId('chat-unread');
    this.unreadCount = 0;
    this.listeners = new AbortController();
    for (const [name, button] of Object.entries(this.buttons)) {
      button.disabled = false;
      button.addEventListener('click', () => handlers[name](), { signal: this.listeners.signal });
    }
    this.setReceiveOnly(false);
    this.buttons.people.setAttribute('aria-label', t('controls.peopleOpen'));
    this.setUnread(0);
    this.setPanel(null);
  }

  /** An observer's bar: no microphone, camera or screen buttons, only chat, people and leave. */
  setReceiveOnly(receiveOnly) {
    show(this.buttons.mic, !receiveOnly);
    show(this.buttons.cam, !receiveOnly);
    show(this.buttons.screen, !receiveOnly && canShareScreen());
  }

  setMic(on) {
    const b = this.buttons.mic;
    b.classList.toggle('off', !on);
    b.setAttribute('aria-label', on ? t('controls.micMute') : t('controls.micUnmute'));
  }

  setCam(on) {
    const b = this.buttons.cam;
    b.classList.toggle('off', !on);
    b.setAttribute('aria-label', on ? t('controls.camOff') : t('controls.camOn'));
  }

  setScreen(on) {
    const b = this.buttons.screen;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', String(on));
    b.setAttribute('aria-label', on ? t('controls.screenStop') : t('controls.screenStart'));
  }

  /** Shows how many chat messages arrived while the chat was closed. */
  setUnread(n) {
    this.unreadCount = n;
    this.unread.textContent = n > 99 ? '99+' : String(n);
    show(this.unread, n > 0);
    this.buttons.chat.setAttribute('aria-label', n > 0 ? t('controls.chatUnread', { n }) : t('controls.chatOpen'));
  }

  /** Marks which side panel is open: "chat", "people" or null. */
  setPanel(which) {
    this.buttons.chat.setAttribute('aria-expanded', String(which === 'chat'));
    this.buttons.people.setAttribute('aria-expanded', String(which === 'people'));
    this.buttons.chat.classList.toggle('active', which === 'chat');
    this.buttons.people.classList.toggle('active', which === 'people');
  }

  /** Freezes the bar while there is no call to control. */
  setEnabled(enabled) {
    for (const [name, button] of Object.entries(this.buttons)) {
      if (name !== 'leave') button.disabled = !enabled;
    }
  }

  destroy() {
    this.listeners.abort();
  }
}
