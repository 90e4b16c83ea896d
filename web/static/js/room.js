// Entry point of the room page (/room/{id}?t=TOKEN). It owns the three screens (pre-join, call,
// ended) and moves between them; each screen's work lives in its own module.
//
// window.vigie exposes the peer connections and the page state to end-to-end tests:
// {pub, sub, state, cameras, session} with state one of "prejoin", "joining", "joined",
// "reconnecting", "left", "error", cameras the room's latest camera list by id (docs/protocol.md)
// and session the server's id of the current session. An observer's pub stays null: observers send
// nothing.

import { Banner } from './banner.js';
import { CallSession } from './call.js';
import { byId, show } from './dom.js';
import { errorWords, t, translatePage } from './i18n.js';
import { LocalMedia } from './local-media.js';
import { Prejoin } from './prejoin.js';

translatePage();

const page = { pub: null, sub: null, state: 'prejoin', cameras: {}, session: '' };
window.vigie = page;

const roomId = roomIdFromPath(location.pathname);
const token = new URLSearchParams(location.search).get('t') || '';
const local = new LocalMedia();
const banner = new Banner();
const screens = { prejoin: byId('prejoin'), call: byId('call'), ended: byId('ended') };
const prejoin = new Prejoin({ roomId, token, local, onJoin: join });
let session = null;
let displayName = '';
// What the person chose to look at, kept from one session to the next (a rejoin).
const view = { focusedCamera: null };

function roomIdFromPath(path) {
  const match = /^\/room\/([^/]+)/.exec(path);
  if (!match) return '';
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

function setState(state) {
  page.state = state;
}

// The pre-join and ended screens are light; the call is dark so that video stands out.
function showScreen(name) {
  for (const [key, screen] of Object.entries(screens)) show(screen, key === name);
  document.body.classList.toggle('light', name !== 'call');
  document.body.classList.toggle('dark', name === 'call');
}

function openPrejoin() {
  setState('prejoin');
  showScreen('prejoin');
  prejoin.open();
}

function join(name) {
  displayName = name;
  prejoin.close();
  startSession();
}

// auto: started by itself after the server forgot the previous session (it restarted, or the
// cut was too long): no click, the same link.
function startSession({ auto = false } = {}) {
  if (session) session.dispose();
  showScreen('call');
  session = new CallSession({
    token, name: displayName, local, banner, role: prejoin.info ? prejoin.info.role : '',
    onState: setState,
    onPeers: ({ pub, sub }) => { page.pub = pub; page.sub = sub; },
    onCameras: (cameras) => { page.cameras = cameras; },
    onSession: (id) => { page.session = id; },
    auto,
    view,
    onEnd: ended,
    onRejoin: startSession,
  });
  session.start();
}

// The call is over for this window: devices off, then the right screen.
async function ended({ reason, code }) {
  session = null;
  await local.stop();
  if (reason === 'error') {
    setState('error');
    showScreen('prejoin');
    prejoin.showError(code);
    return;
  }
  setState(reason === 'left' ? 'left' : 'error');
  const words = reason === 'left'
    ? { title: t('ended.left'), advice: t('ended.leftAdvice') }
    : errorWords(reason);
  byId('ended-title').textContent = words.title;
  byId('ended-advice').textContent = words.advice;
  const rejoin = byId('ended-rejoin');
  rejoin.textContent = reason === 'left' ? t('ended.rejoin') : t('ended.rejoinHere');
  showScreen('ended');
  rejoin.focus();
}

byId('ended-rejoin').addEventListener('click', openPrejoin);

// Closing the tab or navigating away: tell the room at once rather than after the server's
// 12-second timeout.
window.addEventListener('pagehide', () => {
  if (session) session.leaveQuietly();
});

openPrejoin();
