// The console's pieces of screen, built from the server's data. Text always goes in with
// textContent: names, addresses and mail-server replies must never be parsed as HTML. Buttons
// carry data-action and the id they act on; console.js listens once on their containers.

import { formatElapsed, formatTime, has, lang, t } from './console-i18n.js';

/** A new element with an optional class name and text. */
export function el(tag, className = '', text = '') {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** The element with this id; a missing id is a bug in console.html. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console page: no element #${id}`);
  return node;
}

/** The words for an alarm kind; an unknown kind shows as it is. */
export function kindWords(kind) {
  return has(`kind.${kind}`) ? t(`kind.${kind}`) : kind || t('kind.other');
}

function roleWords(role) {
  return has(`role.${role}`) ? t(`role.${role}`) : role;
}

/** Lower case without accents, for the site search. */
export function fold(text) {
  return String(text || '').normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

function cameraWords(n) {
  if (n === 0) return t('sites.noCamera');
  return n === 1 ? t('sites.camera') : t('sites.cameras', { n });
}

/** One site of the list, with its alarm button. */
export function siteItem(site) {
  const li = el('li', 'site');
  li.dataset.site = site.id;
  li.dataset.search = fold(`${site.name} ${site.address} ${site.id}`);
  const main = el('div', 'site-main');
  main.append(el('p', 'site-name', site.name));
  if (site.address) main.append(el('p', 'site-address', site.address));
  const meta = el('p', 'site-meta');
  const cams = el('span', 'site-cameras', cameraWords(site.cameras.length));
  if (site.cameras.length) cams.title = site.cameras.map((c) => c.name).join(', ');
  const open = el('span', 'badge badge-open', t('sites.open'));
  open.hidden = true;
  meta.append(cams, open);
  main.append(meta);
  const raise = el('button', 'btn btn-danger btn-raise', t('sites.raise'));
  raise.type = 'button';
  raise.dataset.action = 'raise';
  raise.dataset.site = site.id;
  raise.setAttribute('aria-label', t('sites.raiseLabel', { site: site.name }));
  li.append(main, raise);
  return li;
}

/** The words and tone of an invitation's state, and why it failed when it did. */
export function stateOf(inv) {
  const mail = inv.mail || null;
  let state = inv.state;
  let words = has(`state.${state}`) ? t(`state.${state}`) : state;
  let why = '';
  if (state === 'failed') {
    why = (mail && mail.error) || '';
    if (mail && mail.state === 'retrying' && mail.next_attempt_at) {
      state = 'retrying';
      words = t('state.retrying', { time: formatTime(new Date(mail.next_attempt_at)) });
    }
  }
  return { state, words, why };
}

function timeCell(label, iso) {
  const td = el('td', 'inv-time', iso ? formatTime(new Date(iso)) : '\u2014');
  td.dataset.label = label;
  return td;
}

function invitationRow(inv) {
  const tr = el('tr', 'invitation');
  tr.dataset.invitation = inv.id;
  tr.dataset.state = inv.state;

  const name = el('td', 'inv-name', inv.name);
  name.dataset.label = t('inv.name');
  const role = el('td', 'inv-role', roleWords(inv.role));
  role.dataset.label = t('inv.role');
  if (inv.list === 'escalation') role.append(' ', el('span', 'tag', t('inv.escalation')));
  const email = el('td', 'inv-email', inv.email);
  email.dataset.label = t('inv.email');

  const { state, words, why } = stateOf(inv);
  const stateCell = el('td', 'inv-state');
  stateCell.dataset.label = t('inv.state');
  const badge = el('span', 'state');
  badge.dataset.state = state;
  badge.append(el('span', 'dot'), el('span', 'state-words', words));
  stateCell.append(badge);
  if (why) {
    const reason = el('span', 'state-why', why);
    reason.title = why;
    stateCell.append(reason);
  }

  const actions = el('td', 'inv-actions');
  if (inv.state !== 'revoked') {
    const revoke = el('button', 'btn btn-small btn-outline', t('inv.revoke'));
    revoke.type = 'button';
    revoke.dataset.action = 'revoke';
    revoke.dataset.invitation = inv.id;
    revoke.dataset.key = `revoke-${inv.id}`;
    revoke.setAttribute('aria-label', t('inv.revokeLabel', { name: inv.name }));
    actions.append(revoke);
  }
  tr.append(name, role, email, stateCell, timeCell(t('inv.openedAt'), inv.opened_at), timeCell(t('inv.joinedAt'), inv.joined_at), actions);
  return tr;
}

function summary(invs) {
  const n = { joined: 0, opened: 0, sent: 0, failed: 0 };
  for (const inv of invs) if (inv.state in n) n[inv.state] += 1;
  return t('incidents.summary', n);
}

/** Whether a URL from the server may go in a link: the server's own https links only. */
function safeLink(url) {
  return typeof url === 'string' && (url.startsWith('https://') || url.startsWith('/'));
}

/**
 * One open incident: what, where, since when, its actions and its invitations. Given the card
 * already on screen, it refills it in place and leaves its recorded-footage section (.playback)
 * and invitation form (.invite) as they are, with what is being typed in them and the focus.
 */
export function incidentCard(inc, site, card = el('article')) {
  const siteName = (site && site.name) || inc.site;
  card.classList.add('incident');
  card.dataset.incident = inc.id;
  card.dataset.kind = inc.kind;
  // The recorded-footage section and the invitation form stay, last, as they are.
  const kept = [...card.querySelectorAll(':scope > .playback, :scope > .invite')];
  const keep = kept[0] || null;
  for (const child of [...card.children]) if (!kept.includes(child)) child.remove();
  const add = (...parts) => {
    for (const part of parts) card.insertBefore(part, keep);
  };

  const head = el('header', 'incident-head');
  const title = el('div', 'incident-title');
  const kind = el('span', 'kind-badge', kindWords(inc.kind));
  kind.dataset.kind = inc.kind;
  title.append(kind, el('h3', 'incident-site', siteName));

  const actions = el('div', 'incident-actions');
  if (safeLink(inc.operator_url)) {
    const room = el('a', 'btn btn-primary', t('incidents.room'));
    room.href = inc.operator_url;
    room.target = '_blank';
    room.rel = 'noopener noreferrer';
    room.dataset.action = 'room';
    room.dataset.key = `room-${inc.id}`;
    room.setAttribute('aria-label', t('incidents.roomLabel', { site: siteName }));
    actions.append(room);
  }
  const close = el('button', 'btn btn-outline-danger', t('incidents.close'));
  close.type = 'button';
  close.dataset.action = 'close';
  close.dataset.incident = inc.id;
  close.dataset.key = `close-${inc.id}`;
  close.setAttribute('aria-label', t('incidents.closeLabel', { site: siteName }));
  actions.append(close, evidenceLink(inc.id, siteName));
  head.append(title, actions);

  const meta = el('p', 'incident-meta');
  if (site && site.address) meta.append(el('span', 'incident-address', site.address));
  const opened = new Date(inc.opened_at);
  const time = el('time', 'incident-opened', t('incidents.opened', { time: formatTime(opened) }));
  time.dateTime = inc.opened_at;
  const since = el('span', 'incident-since', t('incidents.ago', { time: formatElapsed(opened) }));
  since.dataset.since = inc.opened_at;
  meta.append(time, since);

  add(head, meta);
  const invs = inc.invitations || [];
  if (invs.length === 0) {
    add(el('p', 'empty', t('incidents.noInvitation')));
    return card;
  }
  add(el('p', 'incident-summary', summary(invs)));
  const wrap = el('div', 'table-wrap');
  const table = el('table', 'invitations');
  const headRow = el('tr');
  for (const key of ['inv.name', 'inv.role', 'inv.email', 'inv.state', 'inv.openedAt', 'inv.joinedAt']) {
    const th = el('th', '', t(key));
    th.scope = 'col';
    headRow.append(th);
  }
  const actionsHead = el('th', 'inv-actions');
  actionsHead.scope = 'col';
  actionsHead.append(el('span', 'sr-only', t('inv.actions')));
  headRow.append(actionsHead);
  const thead = el('thead');
  thead.append(headRow);
  const tbody = el('tbody');
  for (const inv of invs) tbody.append(invitationRow(inv));
  table.append(thead, tbody);
  wrap.append(table);
  add(wrap);
  return card;
}

function option(value, text, chosen) {
  const node = el('option', '', text);
  node.value = value;
  node.defaultSelected = chosen;
  return node;
}

function field(className, label, control) {
  const wrap = el('label', `invite-field ${className}`);
  wrap.append(el('span', 'invite-label', label), control);
  return wrap;
}

/**
 * The form that invites one more person to an incident, folded under its summary line. It is
 * built once per incident and kept across refreshes; console.js sends it.
 */
export function inviteForm(inc, site) {
  const siteName = (site && site.name) || inc.site;
  const box = el('details', 'invite');
  const toggle = el('summary', 'invite-toggle', t('invite.open'));
  toggle.dataset.key = `invite-${inc.id}`;

  const form = el('form', 'invite-form');
  form.noValidate = true;
  form.dataset.incident = inc.id;
  form.setAttribute('aria-label', t('invite.formLabel', { site: siteName }));

  const email = el('input');
  email.type = 'email';
  email.name = 'email';
  email.autocomplete = 'off';
  email.setAttribute('autocapitalize', 'none');
  email.spellcheck = false;
  email.maxLength = 254;
  email.required = true;
  const name = el('input');
  name.name = 'name';
  name.autocomplete = 'off';
  name.maxLength = 120;
  const role = el('select');
  role.name = 'role';
  for (const r of ['responder', 'committee', 'observer']) role.append(option(r, roleWords(r), r === 'responder'));
  const language = el('select');
  language.name = 'language';
  for (const l of ['fr', 'en']) language.append(option(l, t(`lang.${l}`), l === lang));

  const submit = el('button', 'btn btn-primary invite-submit', t('invite.submit'));
  submit.type = 'submit';
  const error = el('p', 'form-error invite-error');
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const done = el('p', 'form-done invite-done');
  done.setAttribute('role', 'status');
  done.hidden = true;

  form.append(
    field('invite-email', t('invite.email'), email),
    field('invite-name', t('invite.name'), name),
    field('invite-role', t('invite.role'), role),
    field('invite-language', t('invite.language'), language),
    submit, error, done,
  );
  box.append(toggle, form);
  return box;
}

/** Brings every "12 min ago" up to date. */
export function refreshElapsed(root) {
  for (const node of root.querySelectorAll('[data-since]')) {
    node.textContent = t('incidents.ago', { time: formatElapsed(new Date(node.dataset.since)) });
  }
}

/** The "Export evidence" download: the server streams the signed zip to a plain link. */
function evidenceLink(id, siteName) {
  const link = el('a', 'btn btn-outline', t('incidents.evidence'));
  link.href = `/console/api/incidents/${encodeURIComponent(id)}/evidence`;
  link.download = `evidence-${id}.zip`;
  link.dataset.action = 'evidence';
  link.dataset.key = `evidence-${id}`;
  link.setAttribute('aria-label', t('incidents.evidenceLabel', { site: siteName }));
  return link;
}
