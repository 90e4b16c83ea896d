// The banner above the call: connection state and errors, with at most one action button
// ("Rejoin", "Dismiss"). Each message has a kind so that, say, "connected again" only clears the
// "reconnecting" banner and never hides an error the person has not read.

import { byId, show } from './dom.js';

export class Banner {
  constructor() {
    this.root = byId('banner');
    this.text = byId('banner-text');
    this.button = byId('banner-action');
    this.kind = '';
    this.action = null;
    this.button.addEventListener('click', () => {
      const action = this.action;
      if (action) action();
    });
  }

  /**
   * Shows text; tone is "info" or "error"; action is {label, run} or null.
   */
  show(kind, text, { tone = 'info', action = null } = {}) {
    this.kind = kind;
    this.text.textContent = text;
    this.root.dataset.tone = tone;
    this.root.setAttribute('role', tone === 'error' ? 'alert' : 'status');
    this.action = action ? action.run : null;
    this.button.textContent = action ? action.label : '';
    show(this.button, !!action);
    show(this.root, true);
  }

  /** Hides the banner, only if it still shows `kind` (or whatever it shows, without a kind). */
  hide(kind = '') {
    if (kind && kind !== this.kind) return;
    this.kind = '';
    this.action = null;
    show(this.root, false);
  }
}
