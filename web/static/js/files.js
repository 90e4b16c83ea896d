// The files panel: files shared in the room, stored on vigie's server (never peer to peer).
// Anyone but an observer adds files with the button or by dropping them on the call; each upload
// shows its own progress bar. New files reach everyone at once (file_shared), withdrawn ones go
// away (file_withdrawn); the list itself comes from GET /api/v1/rooms/{room}/files at join and
// after a resume. Every view and download is logged by the server, so previews are loaded only
// once the panel is opened. Names come from other people: always set with textContent.

import { byId, el, show } from './dom.js';
import { formatTime } from './i18n.js';
import { formatSize, ft, translateFiles } from './files-i18n.js';

const DEFAULT_MAX_SIZE = 500 * 2 ** 20;

export class SharedFiles {
  /** token authenticates the requests; onOpen() closes the other panels before this one opens. */
  constructor({ token, onOpen }) {
    this.token = token;
    this.onOpen = onOpen;
    this.room = '';
    this.self = null;
    this.maxSize = DEFAULT_MAX_SIZE;
    this.files = new Map(); // id -> {info, item}
    this.unseen = 0;
    this.xhrs = new Set();
    this.panel = byId('files-panel');
    this.list = byId('files-list');
    this.empty = byId('files-empty');
    this.uploads = byId('files-uploads');
    this.errors = byId('files-errors');
    this.input = byId('files-input');
    this.button = byId('btn-files');
    this.badge = byId('files-new');
    this.drop = byId('files-drop');
    this.list.replaceChildren();
    this.uploads.replaceChildren();
    this.errors.replaceChildren();
    translateFiles();
    this.listeners = new AbortController();
    const signal = this.listeners.signal;
    this.button.addEventListener('click', () => this.setOpen(!this.isOpen()), { signal });
    byId('files-close').addEventListener('click', () => this.setOpen(false), { signal });
    byId('files-add').addEventListener('click', () => this.input.click(), { signal });
    this.input.addEventListener('change', () => {
      this.uploadAll([...this.input.files]);
      this.input.value = '';
    }, { signal });
    this.bindDrop(byId('call'), signal);
    this.setBadge(0);
    this.render();
  }

  bindDrop(area, signal) {
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
    area.addEventListener('dragenter', (e) => {
      if (!hasFiles(e) || !this.canUpload()) return;
      depth += 1;
      show(this.drop, true);
    }, { signal });
    area.addEventListener('dragover', (e) => { if (hasFiles(e) && this.canUpload()) e.preventDefault(); }, { signal });
    area.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) show(this.drop, false);
    }, { signal });
    area.addEventListener('drop', (e) => {
      depth = 0;
      show(this.drop, false);
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (!this.canUpload()) return;
      this.setOpen(true);
      this.uploadAll([...e.dataTransfer.files]);
    }, { signal });
  }

  canUpload() {
    return !!this.self && this.self.role !== 'observer';
  }

  /** The session joined: who we are, then the room's list. */
  joined(roomId, self) {
    this.room = roomId;
    this.self = self;
    show(byId('files-add'), this.canUpload());
    return this.load();
  }

  /** After a resume: the list again, for what was shared or withdrawn during the cut. */
  async load() {
    if (!this.room) return;
    try {
      const res = await fetch(this.apiURL(), { headers: this.auth(), cache: 'no-store' });
      if (!res.ok) throw new Error(`files list: HTTP ${res.status}`);
      const body = await res.json();
      if (body.max_size) this.maxSize = body.max_size;
      const present = new Set();
      for (const info of body.files || []) {
        present.add(info.id);
        this.add(info, { quiet: true });
      }
      for (const id of [...this.files.keys()]) if (!present.has(id)) this.remove(id);
    } catch (err) {
      console.warn('vigie:', err.message);
    }
  }

  apiURL(suffix = '') {
    return `/api/v1/rooms/${encodeURIComponent(this.room)}/files${suffix}`;
  }

  auth() {
    return { Authorization: `Bearer ${this.token}` };
  }

  /** A file's own URL, with the token for elements that cannot send headers. */
  fileURL(info, { download = false } = {}) {
    const q = new URLSearchParams({ t: this.token });
    if (download) q.set('download', '1');
    return `${info.url}?${q}`;
  }

  isOpen() {
    return !this.panel.hidden;
  }

  setOpen(open) {
    if (open && !this.isOpen()) this.onOpen();
    show(this.panel, open);
    this.button.setAttribute('aria-expanded', String(open));
    this.button.classList.toggle('active', open);
    if (open) {
      this.setBadge(0);
      for (const entry of this.files.values()) this.loadPreview(entry);
    }
  }

  setBadge(n) {
    this.unseen = n;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    show(this.badge, n > 0);
    this.button.setAttribute('aria-label', n > 0 ? ft('files.openNew', { n }) : ft('files.open'));
  }

  /** Shows a file (file_shared, or the list); one already shown is left as it is. */
  add(info, { quiet = false } = {}) {
    if (!info || !info.id || this.files.has(info.id)) return;
    const entry = { info, item: this.renderItem(info), previewed: false };
    this.files.set(info.id, entry);
    this.list.prepend(entry.item);
    this.render();
    if (this.isOpen()) this.loadPreview(entry);
    else if (!quiet && info.uploader_id !== this.self?.id) this.setBadge(this.unseen + 1);
  }

  /** Takes a withdrawn file away (file_withdrawn). */
  remove(id) {
    const entry = this.files.get(id);
    if (!entry) return;
    entry.item.querySelectorAll('video').forEach((v) => { v.pause(); v.removeAttribute('src'); v.load(); });
    entry.item.remove();
    this.files.delete(id);
    this.render();
  }

  render() {
    show(this.empty, this.files.size === 0);
  }

  renderItem(info) {
    const item = el('li', 'file-item');
    item.dataset.id = info.id;
    item.dataset.type = info.type;
    const preview = el('div', 'file-preview');
    const name = el('p', 'file-name', info.name);
    const at = new Date(info.uploaded_at);
    const meta = el('p', 'file-meta', `${formatSize(info.size)} \u00b7 ${ft('files.by', {
      name: info.uploader, time: Number.isNaN(at.getTime()) ? '' : formatTime(at),
    })}`);
    const actions = el('div', 'file-actions');
    const download = el('a', 'button secondary file-download', ft('files.download'));
    download.href = this.fileURL(info, { download: true });
    download.download = info.name;
    download.rel = 'noopener';
    if (info.type === 'application/pdf') {
      const open = el('a', 'button secondary file-open', ft('files.openPdf'));
      open.href = this.fileURL(info);
      open.target = '_blank';
      open.rel = 'noopener noreferrer';
      actions.append(open);
    }
    actions.append(download);
    if (this.self?.role === 'operator') {
      const withdraw = el('button', 'button secondary file-withdraw', ft('files.withdraw'));
      withdraw.type = 'button';
      withdraw.addEventListener('click', () => this.withdraw(info));
      actions.append(withdraw);
    }
    item.append(preview, name, meta, actions);
    return item;
  }

  // Previews load only when someone looks at the panel: each load is a logged view.
  loadPreview(entry) {
    if (entry.previewed) return;
    entry.previewed = true;
    const { info, item } = entry;
    const box = item.querySelector('.file-preview');
    if (info.type.startsWith('image/')) {
      const img = el('img', 'file-image');
      img.alt = info.name;
      img.decoding = 'async';
      img.src = this.fileURL(info);
      box.append(img);
    } else if (info.type.startsWith('video/')) {
      const video = el('video', 'file-video');
      video.controls = true;
      // Nothing is fetched until someone presses play: the server logs a file's first bytes
      // being read as a view, and the evidence must not say a clip was watched when the
      // panel was only opened.
      video.preload = 'none';
      video.playsInline = true;
      video.src = this.fileURL(info);
      box.append(video);
    } else {
      box.append(el('span', 'file-kind', info.type === 'application/pdf' ? 'PDF' : fileExtension(info.name)));
    }
  }

  uploadAll(files) {
    if (!this.canUpload()) {
      this.showError(ft('files.observer'));
      return;
    }
    for (const file of files) this.upload(file);
  }

  upload(file) {
    if (file.size > this.maxSize) {
      this.showError(ft('files.tooLarge', { name: file.name, size: formatSize(this.maxSize) }));
      return;
    }
    const row = el('li', 'file-upload');
    const label = el('span', 'file-upload-name', ft('files.sending', { name: file.name }));
    const bar = el('progress', 'file-progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', ft('files.sending', { name: file.name }));
    row.append(label, bar);
    this.uploads.append(row);
    const xhr = new XMLHttpRequest();
    this.xhrs.add(xhr);
    xhr.open('POST', `${this.apiURL()}?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${this.token}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    const done = () => {
      this.xhrs.delete(xhr);
      row.remove();
    };
    xhr.addEventListener('load', () => {
      done();
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON: a proxy's page */ }
      if (xhr.status === 201 && body) {
        this.add(body, { quiet: true });
        return;
      }
      if (xhr.status === 413) {
        if (body?.error?.max_size) this.maxSize = body.error.max_size;
        this.showError(ft('files.tooLarge', { name: file.name, size: formatSize(this.maxSize) }));
      } else if (xhr.status === 403) {
        this.showError(ft('files.observer'));
      } else {
        this.showError(ft('files.failed', { name: file.name }));
      }
    });
    xhr.addEventListener('error', () => { done(); this.showError(ft('files.failed', { name: file.name })); });
    xhr.addEventListener('abort', done);
    xhr.send(file);
  }

  async withdraw(info) {
    if (!window.confirm(ft('files.withdrawConfirm', { name: info.name }))) return;
    try {
      const res = await fetch(this.apiURL(`/${encodeURIComponent(info.id)}`), { method: 'DELETE', headers: this.auth() });
      if (res.status !== 204 && res.status !== 410) throw new Error(`withdraw: HTTP ${res.status}`);
      this.remove(info.id);
    } catch (err) {
      console.warn('vigie:', err.message);
      this.showError(ft('files.withdrawFailed'));
    }
  }

  showError(text) {
    const line = el('p', 'file-error', text);
    this.errors.append(line);
    setTimeout(() => line.remove(), 8000);
  }

  destroy() {
    for (const xhr of this.xhrs) xhr.abort();
    this.xhrs.clear();
    this.listeners.abort();
    for (const id of [...this.files.keys()]) this.remove(id);
    this.setOpen(false);
    show(this.drop, false);
  }
}

function fileExtension(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= 6 ? name.slice(dot + 1).toUpperCase() : '\u2026';
}
