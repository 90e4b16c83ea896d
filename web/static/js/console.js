// The operator console: a login page, then the sites with their alarm button and the open
// incidents with their invitations, refreshed every two seconds. Every change (raise, close,
// revoke) asks for confirmation first, except inviting one more person, which is a form of its
// own. The server does the checking: this page only shows.

import * as api from './console-api.js';
import { formatClock, t, translatePage } from './console-i18n.js';
import { PlaybackPanel, playbackCameras } from './console-playback.js';
import { byId, fold, incidentCard, inviteForm, refreshElapsed, siteItem, stateOf } from './console-view.js';

const REFRESH_MS = 2000;
const NOTICE_MS = 8000;

const state = {
  me: null,
  sites: new Map(), // id → site
  incidents: [], // the last list
  cards: new Map(), // incident id → { card, sig, playback }: cards stay, with their forms
  running: false, // refreshing incidents
  timer: 0,
  inFlight: null,
  again: false,
  highlight: '', // an incident to bring into view once it shows
  active: false, // someone used the page since the last refresh
};

function show(screen) {
  document.body.dataset.screen = screen;
  byId('loading').hidden = screen !== 'loading';
  byId('login').hidden = screen !== 'login';
  byId('app').hidden = screen !== 'dashboard';
}

/** The sentence for a failed call. */
function errorText(err) {
  if (err.code === 'network') return t('error.network');
  if (err.code === 'not_found') return t('error.not_found');
  if (err.code === 'bad_request') return t('error.bad_request', { message: err.message });
  return t('error.generic', { message: err.message || err.code });
}

function setText(node, text) {
  node.textContent = text;
  node.hidden = !text;
}

// ---------- login ----------

function showLogin(notice = '') {
  stopRefreshing();
  state.me = null;
  setText(byId('login-notice'), notice);
  setText(byId('login-error'), '');
  byId('login-password').value = '';
  show('login');
  const user = byId('login-username');
  (user.value ? byId('login-password') : user).focus();
}

async function onLogin(event) {
  event.preventDefault();
  const username = byId('login-username').value.trim();
  const password = byId('login-password').value;
  const error = byId('login-error');
  if (!username || !password) {
    setText(error, t('login.missing'));
    return;
  }
  const submit = byId('login-submit');
  submit.disabled = true;
  submit.textContent = t('login.busy');
  setText(error, '');
  try {
    const me = await api.login(username, password);
    byId('login-password').value = '';
    await startDashboard(me);
  } catch (err) {
    if (err.code === 'login_failed') setText(error, t('login.failed'));
    else if (err.code === 'too_many_attempts') setText(error, t('login.tooMany', { minutes: Math.max(1, Math.ceil(err.retryAfter / 60)) }));
    else if (err.status === 404) setText(error, t('console.unavailable'));
    else setText(error, errorText(err));
    byId('login-password').select();
  } finally {
    submit.disabled = false;
    submit.textContent = t('login.submit');
  }
}

async function onLogout() {
  try {
    await api.logout();
  } catch {
    // the server forgets the session anyway when it expires
  }
  showLogin();
}

/** endSession goes back to the login page when the server no longer knows this session. */
function endSession() {
  showLogin(t('console.sessionEnded'));
}

// ---------- dashboard ----------

async function startDashboard(me) {
  state.me = me;
  byId('operator-name').textContent = me.name || me.username;
  const { sites } = await api.sites();
  state.sites = new Map(sites.map((s) => [s.id, s]));
  renderSites(sites);
  state.cards.clear();
  byId('incidents').replaceChildren();
  show('dashboard');
  startRefreshing();
  showEvidenceKey();
}

/** showEvidenceKey names the key that signs evidence bundles; without export it stays hidden. */
async function showEvidenceKey() {
  const line = byId('evidence-key');
  try {
    const key = await api.evidenceKey();
    line.textContent = t('evidence.key', { fingerprint: key.fingerprint });
    line.title = key.public_key;
    line.hidden = false;
  } catch {
    line.hidden = true;
  }
}

function renderSites(sites) {
  const list = byId('sites');
  list.replaceChildren(...sites.map(siteItem));
  byId('site-count').textContent = String(sites.length);
  filterSites();
}

function filterSites() {
  const words = fold(byId('site-filter').value).split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const li of byId('sites').children) {
    const match = words.every((w) => li.dataset.search.includes(w));
    li.hidden = !match;
    if (match) shown += 1;
  }
  byId('sites-empty').hidden = shown > 0;
}

function startRefreshing() {
  state.running = true;
  refresh();
}

function stopRefreshing() {
  state.running = false;
  clearTimeout(state.timer);
}

/** refresh asks for the incidents now; a call during another waits for it and runs after. */
function refresh() {
  if (state.inFlight) {
    state.again = true;
    return state.inFlight;
  }
  clearTimeout(state.timer);
  state.inFlight = (async () => {
    try {
      // A refresh counts as activity only when someone used the page since the last one: a
      // dashboard nobody touches still idles out on the server.
      const background = !state.active;
      state.active = false;
      const data = await api.incidents(background);
      if (!state.running) return;
      renderIncidents(data.incidents || []);
      // Each card's recordings playing in the room, refreshed with the card.
      await Promise.all([...state.cards.values()].filter((e) => e.playback).map((e) => e.playback.load()));
      if (!state.running) return;
      setStatus('ok', t('console.live', { time: formatClock(new Date()) }));
    } catch (err) {
      if (!state.running) return;
      if (err.status === 401) {
        endSession();
        return;
      }
      setStatus('error', t('console.offline'));
    }
  })().finally(() => {
    state.inFlight = null;
    if (!state.running) return;
    if (state.again) {
      state.again = false;
      refresh();
    } else {
      state.timer = setTimeout(refresh, REFRESH_MS);
    }
  });
  return state.inFlight;
}

function setStatus(tone, text) {
  const status = byId('status');
  status.dataset.tone = tone;
  status.textContent = text;
}

/**
 * renderIncidents refills only the incidents that changed, in place: the invitation form being
 * typed in keeps its text and its focus (on a phone, losing focus would close the keyboard), and
 * a button rebuilt under the focus gets it back.
 */
function renderIncidents(list) {
  list = [...list].sort((a, b) => (a.opened_at < b.opened_at ? 1 : -1));
  state.incidents = list;
  const box = byId('incidents');
  const focusKey = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.key : '';
  const next = new Map();
  const cards = list.map((inc) => {
    const sig = JSON.stringify(inc);
    const site = state.sites.get(inc.site);
    let entry = state.cards.get(inc.id);
    if (!entry) {
      const card = incidentCard(inc, site);
      const playback = playbackCameras(site).length
        ? new PlaybackPanel({ inc, site, onSessionEnd: endSession, onIncidentGone: () => refresh() })
        : null;
      if (playback) card.append(playback.root);
      card.append(inviteForm(inc, site));
      entry = { card, sig, playback };
    } else if (entry.sig !== sig) {
      incidentCard(inc, site, entry.card);
      entry.sig = sig;
    }
    next.set(inc.id, entry);
    return entry.card;
  });
  state.cards = next;
  // Only the cards out of place move: a moved element loses the focus.
  cards.forEach((card, i) => {
    if (box.children[i] !== card) box.insertBefore(card, box.children[i] || null);
  });
  while (box.children.length > cards.length) box.lastElementChild.remove();
  if (focusKey && !box.contains(document.activeElement)) {
    const again = box.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
  refreshElapsed(box);
  byId('incidents-empty').hidden = list.length > 0;
  byId('incident-count').textContent = String(list.length);
  byId('incident-count').dataset.active = list.length > 0 ? 'yes' : 'no';

  const openSites = new Set(list.map((inc) => inc.site));
  for (const li of byId('sites').children) {
    li.querySelector('.badge-open').hidden = !openSites.has(li.dataset.site);
    li.dataset.open = openSites.has(li.dataset.site) ? 'yes' : 'no';
  }

  if (state.highlight && next.has(state.highlight)) {
    const card = next.get(state.highlight).card;
    state.highlight = '';
    card.classList.add('flash');
    card.addEventListener('animationend', () => card.classList.remove('flash'), { once: true });
    card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }
}

let noticeTimer = 0;

function notify(text, tone = 'ok') {
  const notice = byId('notice');
  notice.dataset.tone = tone;
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    notice.hidden = true;
  }, NOTICE_MS);
}

// ---------- raising an alarm ----------

let raising = '';

function openRaise(siteId) {
  const site = state.sites.get(siteId);
  if (!site) return;
  raising = siteId;
  byId('raise-site').textContent = site.name;
  setText(byId('raise-address'), site.address || '');
  byId('raise-form').elements.kind.value = 'holdup';
  setText(byId('raise-error'), '');
  busy(byId('raise-dialog'), false);
  byId('raise-dialog').showModal();
  byId('raise-form').querySelector('input[name="kind"]:checked').focus();
}

async function onRaise(event) {
  event.preventDefault();
  const dialog = byId('raise-dialog');
  if (dialog.dataset.busy === 'yes') return;
  const site = state.sites.get(raising);
  const kind = byId('raise-form').elements.kind.value || 'holdup';
  busy(dialog, true);
  byId('raise-confirm').textContent = t('raise.busy');
  try {
    const inc = await api.raise(raising, kind);
    dialog.close();
    notify(t(inc.opened ? 'raise.opened' : 'raise.joined', { site: site.name }));
    state.highlight = inc.id;
    refresh();
  } catch (err) {
    if (err.status === 401) {
      dialog.close();
      endSession();
      return;
    }
    setText(byId('raise-error'), errorText(err));
  } finally {
    busy(dialog, false);
    byId('raise-confirm').textContent = t('raise.confirm');
  }
}

/** busy disables a dialog's buttons while its request runs; Escape waits too. */
function busy(dialog, on) {
  dialog.dataset.busy = on ? 'yes' : 'no';
  for (const b of dialog.querySelectorAll('button')) b.disabled = on;
}

// ---------- confirming a close or a revocation ----------

let pending = null; // { run, done }

function confirmAction({ title, text, ok, run, done }) {
  pending = { run, done };
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = ok;
  byId('confirm-ok').dataset.label = ok;
  setText(byId('confirm-error'), '');
  busy(byId('confirm-dialog'), false);
  byId('confirm-dialog').showModal();
  byId('confirm-cancel').focus();
}

async function onConfirm(event) {
  event.preventDefault();
  const dialog = byId('confirm-dialog');
  if (!pending || dialog.dataset.busy === 'yes') return;
  busy(dialog, true);
  try {
    await pending.run();
    dialog.close();
    notify(pending.done);
    pending = null;
    refresh();
  } catch (err) {
    if (err.status === 401) {
      dialog.close();
      endSession();
      return;
    }
    setText(byId('confirm-error'), errorText(err));
  } finally {
    busy(dialog, false);
  }
}

function askClose(id) {
  const inc = state.incidents.find((i) => i.id === id);
  if (!inc) return;
  const site = (state.sites.get(inc.site) || {}).name || inc.site;
  confirmAction({
    title: t('incidents.closeTitle'),
    text: t('incidents.closeText', { site }),
    ok: t('incidents.closeConfirm'),
    run: () => api.closeIncident(id),
    done: t('incidents.closed', { site }),
  });
}

function askRevoke(id) {
  const inv = state.incidents.flatMap((i) => i.invitations || []).find((v) => v.id === id);
  if (!inv) return;
  confirmAction({
    title: t('inv.revokeTitle'),
    text: t('inv.revokeText', { name: inv.name, email: inv.email }),
    ok: t('inv.revokeConfirm'),
    run: () => api.revoke(id),
    done: t('inv.revoked', { name: inv.name }),
  });
}

// ---------- inviting one more person ----------

function inviteMessage(form, tone, text) {
  setText(form.querySelector('.invite-error'), tone === 'error' ? text : '');
  setText(form.querySelector('.invite-done'), tone === 'done' ? text : '');
}

/**
 * alreadyInvited is the incident's invitation that makes inviting email again pointless: the
 * server keeps one invitation per address added this way (contact "mail:<address>"), revoked or
 * not, and a live invitation of a listed contact already reaches that address.
 */
function alreadyInvited(inc, email) {
  const address = email.toLowerCase();
  return (inc.invitations || []).find((v) => v.contact === `mail:${address}` ||
    (v.state !== 'revoked' && String(v.email).toLowerCase() === address));
}

async function onInvite(event) {
  const form = event.target.closest('form.invite-form');
  if (!form) return;
  event.preventDefault();
  if (form.dataset.busy === 'yes') return;
  const id = form.dataset.incident;
  const fields = form.elements;
  const emailInput = fields.namedItem('email');
  const email = emailInput.value.trim();
  const name = fields.namedItem('name').value.trim();
  const role = fields.namedItem('role').value;
  const language = fields.namedItem('language').value;
  const wrong = (text) => {
    inviteMessage(form, 'error', text);
    emailInput.setAttribute('aria-invalid', 'true');
    emailInput.focus();
  };
  if (!email) {
    wrong(t('invite.missing'));
    return;
  }
  const inc = state.incidents.find((i) => i.id === id);
  const known = inc && alreadyInvited(inc, email);
  if (known) {
    wrong(t('invite.already', { email: known.email, state: stateOf(known).words }));
    return;
  }
  const submit = form.querySelector('.invite-submit');
  form.dataset.busy = 'yes';
  submit.disabled = true;
  submit.textContent = t('invite.busy');
  inviteMessage(form, '', '');
  try {
    await api.invite(id, { email, name, role, language });
    emailInput.value = '';
    fields.namedItem('name').value = '';
    emailInput.removeAttribute('aria-invalid');
    inviteMessage(form, 'done', t('invite.done', { who: name || email }));
    emailInput.focus();
    refresh();
  } catch (err) {
    if (err.status === 401) {
      endSession();
      return;
    }
    if (err.code === 'bad_request' && /e-mail address/.test(err.message)) wrong(t('invite.badEmail', { email }));
    else if (err.code === 'incident_closed') inviteMessage(form, 'error', t('invite.closed'));
    else inviteMessage(form, 'error', errorText(err));
    if (err.code === 'incident_closed' || err.code === 'not_found') refresh();
  } finally {
    form.dataset.busy = 'no';
    submit.disabled = false;
    submit.textContent = t('invite.submit');
  }
}

/** Typing again clears the form's last message. */
function onInviteInput(event) {
  const form = event.target.closest('form.invite-form');
  if (!form) return;
  inviteMessage(form, '', '');
  if (event.target.name === 'email') event.target.removeAttribute('aria-invalid');
}

// ---------- start ----------

function wire() {
  byId('login-form').addEventListener('submit', onLogin);
  byId('logout').addEventListener('click', onLogout);
  byId('site-filter').addEventListener('input', filterSites);
  byId('sites').addEventListener('click', (e) => {
    const button = e.target.closest('[data-action="raise"]');
    if (button) openRaise(button.dataset.site);
  });
  byId('incidents').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'close') askClose(button.dataset.incident);
    if (button.dataset.action === 'revoke') askRevoke(button.dataset.invitation);
  });
  byId('incidents').addEventListener('submit', onInvite);
  byId('incidents').addEventListener('input', onInviteInput);
  // toggle does not bubble: listen while it comes down. Opening the form puts the cursor in it.
  byId('incidents').addEventListener('toggle', (e) => {
    if (e.target.matches('details.invite') && e.target.open) e.target.querySelector('input[name="email"]').focus();
  }, true);
  byId('raise-form').addEventListener('submit', onRaise);
  byId('raise-cancel').addEventListener('click', () => byId('raise-dialog').close());
  byId('confirm-form').addEventListener('submit', onConfirm);
  byId('confirm-cancel').addEventListener('click', () => byId('confirm-dialog').close());
  for (const id of ['raise-dialog', 'confirm-dialog']) {
    byId(id).addEventListener('cancel', (e) => {
      if (byId(id).dataset.busy === 'yes') e.preventDefault();
    });
  }
  for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
    document.addEventListener(type, () => {
      state.active = true;
    }, { passive: true, capture: true });
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.running) refresh();
  });
}

async function start() {
  translatePage();
  wire();
  try {
    await startDashboard(await api.session());
  } catch (err) {
    if (err.status === 404) {
      showLogin(t('console.unavailable'));
    } else if (err.status === 401) {
      showLogin();
    } else {
      showLogin(errorText(err));
    }
  }
}

start();

// For the end-to-end tests and for a look from the browser's console.
window.vigieConsole = { state, refresh };
