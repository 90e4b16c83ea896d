// One call session: one server session, one publish and one subscribe connection, from the click
// on Join to leaving, an error, or the loss of the server's session. A lost WebSocket comes back by
// itself and resumes the same server session (reconnect.js); ICE trouble restarts ICE. When the
// server no longer knows the session (it restarted, or the cut outlasted its resume window) a new
// session is built, automatically, with the same link: a session is never restarted.

import { Chat } from './chat.js';
import { SharedFiles } from './files.js';
import { receiveVideoCodecs } from './codecs.js';
import { Controls } from './controls.js';
import { isCancelled, mediaErrorKey, openScreen } from './devices.js';
import { byId } from './dom.js';
import { errorWords, t } from './i18n.js';
import { isReceiveOnly } from './link.js';
import { People } from './people.js';
import { showPlaybackStatus } from './playback.js';
import { Publisher } from './publisher.js';
import { CameraQuality } from './quality.js';
import { Retry, watchFlow } from './reconnect.js';
import { Signaling } from './signaling.js';
import { Subscriber } from './subscriber.js';
import { TileGrid } from './tiles.js';

// How long to wait for `joined` after opening the WebSocket.
const JOIN_TIMEOUT_MS = 20_000;

// A "disconnected" connection often heals by itself: ICE is restarted after this long.
const ICE_GRACE_MS = 2_000;

// Past this long without media after an ICE restart, the person is offered to rejoin.
const MEDIA_GIVE_UP_MS = 25_000;

// Server errors after which this link cannot be in the call: back to an error screen.
const FATAL_CODES = new Set([
  'token_missing', 'token_invalid', 'token_expired', 'token_wrong_room', 'room_not_found', 'room_closed',
  'invitation_revoked',
  // Limits: rejoining at once would only be refused again, or cut again.
  'room_full', 'server_full', 'too_many_messages', 'too_many_connections',
]);

export class CallSession {
  /**
   * token and name are sent in `join`; local is the LocalMedia; banner the call's Banner.
   * onState(state) follows "joining", "joined", "error"; onPeers({pub, sub}) the connections;
   * onEnd({reason: "left"|"replaced"|"error", code}) ends the call screen; onRejoin() asks for a
   * new session; onCameras(byId) gets the room's cameras each time one changes. view outlives the
   * session: {focusedCamera}, the camera tile enlarged, enlarged again after a rejoin. role is the
   * link's role from join-info until `joined` tells it: an observer gets no publish connection
   * and no microphone, camera or screen buttons. auto is true for a session started by itself
   * after the server forgot the previous one: it keeps trying to join, without a click.
   * onSession(id) is told the server's session id at each join.
   */
  constructor({ token, name, local, banner, onState, onPeers, onEnd, onRejoin, onCameras = () => {}, view = {}, role = '',
    auto = false, onSession = () => {} }) {
    Object.assign(this, { token, name, local, banner, onState, onPeers, onEnd, onRejoin, onCameras, view, auto, onSession });
    // The key to resume this session after a cut, from `joined`.
    this.resumeKey = '';
    // Brings the WebSocket back: a fresh join for an automatic session, a resume once joined.
    this.retry = new Retry(() => (this.self ? this.tryResume() : this.tryJoin()));
    this.flow = null;
    this.iceTimers = {};
    // True from a WebSocket cut until the session is back: the reconnecting banner speaks then.
    this.cut = false;
    this.receiveOnly = isReceiveOnly(role);
    this.ended = false;
    this.self = null;
    this.others = new Map();
    // The site's cameras by id, as the server last described them.
    this.cameras = new Map();
    this.publisher = null;
    this.subscriber = null;
    this.screenTrack = null;
    this.lastMedia = '';
    this.joinTimer = 0;
    // Negotiation messages that arrive before `joined` (which carries the ICE servers) wait here.
    this.early = [];
    this.listeners = new AbortController();
    this.signaling = new Signaling();
    // The stream (main or sub-stream) each camera tile asks for; the server is told per camera,
    // once per change, and again for each new track of the camera (a new session's included).
    this.quality = new CameraQuality({
      send: (camera, quality) => !this.ended && !!this.self && this.signaling.send('camera_quality', { camera, quality }),
    });
    this.tiles = new TileGrid({
      container: byId('tiles'), template: byId('tpl-tile'), cameraTemplate: byId('tpl-camera-tile'),
      empty: byId('tiles-empty'),
      onSoundBlocked: () => this.soundBlocked(),
      onCameraQuality: (id, quality) => this.quality.want(id, quality),
      onCameraTrack: (id, hasTrack) => this.quality.trackChanged(id, hasTrack),
      onCameraGone: (id) => this.quality.forget(id),
      focusCamera: view.focusedCamera || null,
      onFocusCamera: (id) => { view.focusedCamera = id; },
    });
    this.chat = new Chat({
      send: (text) => this.signaling.send('chat', { text }),
      onUnread: (n) => this.controls.setUnread(n),
      onTooLong: () => this.showServerError('too_large'),
    });
    this.people = new People();
    this.files = new SharedFiles({ token: this.token, onOpen: () => this.closePanels() });
    this.controls = new Controls({
      mic: () => this.toggleMic(), cam: () => this.toggleCam(), screen: () => this.toggleScreen(),
      chat: () => this.togglePanel('chat'), people: () => this.togglePanel('people'), leave: () => this.leave(),
    });
    this.bindPage();
  }

  bindPage() {
    const signal = this.listeners.signal;
    byId('chat-close').addEventListener('click', () => this.togglePanel('chat'), { signal });
    byId('people-close').addEventListener('click', () => this.togglePanel('people'), { signal });
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.closePanels(); }, { signal });
    // A phone back on a network does not wait for the next try.
    window.addEventListener('online', () => this.retry.now(), { signal });
    this.local.addEventListener('change', () => this.syncLocal(), { signal });
  }

  /** Opens the WebSocket and sends `join`. */
  async start() {
    this.onState(this.auto ? 'reconnecting' : 'joining');
    if (this.auto) this.banner.show('reconnect', t('call.resuming'));
    else this.banner.show('connect', t('call.connecting'));
    this.controls.setEnabled(false);
    this.controls.setReceiveOnly(this.receiveOnly);
    this.refreshSelf();
    const sig = this.signaling;
    this.bindSignaling(sig);
    if (this.auto) {
      this.retry.run();
      return;
    }
    // A proxy that swallows the WebSocket upgrade leaves it hanging rather than failing: after a
    // while, say so and offer to try again instead of "Connecting…" forever.
    this.joinTimer = setTimeout(() => { if (!this.self) this.lost(); }, JOIN_TIMEOUT_MS);
    try {
      await sig.connect();
    } catch (err) {
      console.warn('vigie:', err.message);
      this.lost();
      return;
    }
    if (this.ended) return;
    this.sendJoin();
  }

  sendJoin() {
    this.signaling.send('join', { token: this.token, name: this.name, media: this.media(), codecs: receiveVideoCodecs() });
  }

  // Every message handler, on each new WebSocket.
  bindSignaling(sig) {
    sig.on('joined', (m) => this.onJoined(m))
      .on('resumed', (m) => this.onResumed(m))
      .on('participant_joined', (m) => this.upsert(m.participant))
      .on('participant_updated', (m) => this.upsert(m.participant))
      .on('participant_left', (m) => this.removeParticipant(m.id))
      .on('camera_status', (m) => this.updateCamera(m.camera))
      .on('pub_answer', (m) => this.onNegotiation(m))
      .on('sub_offer', (m) => this.onNegotiation(m))
      .on('ice', (m) => this.onNegotiation(m))
      .on('chat', (m) => this.chat.add(m))
      .on('file_shared', (m) => this.files.add(m.file))
      .on('file_withdrawn', (m) => this.files.remove(m.id))
      .on('playback_status', (m) => showPlaybackStatus(this.tiles, m))
      .on('error', (m) => this.onServerError(m));
    sig.onLost = () => this.lost();
  }

  // A new WebSocket in place of the dead one, which says nothing more.
  freshSignaling() {
    this.signaling.close();
    this.signaling = new Signaling();
    this.bindSignaling(this.signaling);
    return this.signaling;
  }

  // One try of an automatic session to join: true once `join` is sent.
  async tryJoin() {
    if (this.ended) return true;
    const sig = this.freshSignaling();
    await sig.connect();
    if (!this.ended) this.sendJoin();
    return true;
  }

  // One try to resume after a cut: true once `resume` is sent; `resumed` or an error answers.
  async tryResume() {
    if (this.ended) return true;
    const sig = this.freshSignaling();
    await sig.connect();
    if (!this.ended) sig.send('resume', { resume: this.resumeKey, chat_after: this.chat.lastSeq });
    return true;
  }

  onJoined(msg) {
    clearTimeout(this.joinTimer);
    this.retry.tries = 0;
    this.resumeKey = msg.resume || '';
    this.onSession(this.resumeKey.split('.')[0]);
    this.self = msg.self;
    this.chat.selfId = msg.self.id;
    this.chat.addAll(msg.chat || []);
    this.files.joined(msg.room?.id || '', msg.self);
    byId('recording-notice').hidden = !msg.recording; // participants are told they are recorded
    // The server's word on the role wins over the pre-join page's.
    this.receiveOnly = isReceiveOnly(msg.self.role);
    this.controls.setReceiveOnly(this.receiveOnly);
    if (this.receiveOnly) this.local.stop();
    for (const c of msg.cameras || []) this.updateCamera(c);
    for (const p of msg.participants || []) this.upsert(p);
    const iceServers = msg.ice_servers || [];
    const send = (type, fields) => this.signaling.send(type, fields);
    const onFailure = (err) => this.mediaFailed(err);
    // An observer sends nothing: no publish connection at all.
    this.publisher = this.receiveOnly ? null : new Publisher({ iceServers, send, onFailure });
    this.subscriber = new Subscriber({
      iceServers, send, onFailure,
      onTracks: (bindings) => this.tiles.setBindings(bindings),
      onConnection: (pc) => { this.watch(pc, 'sub'); this.reportPeers(); },
    });
    if (this.publisher) {
      this.watch(this.publisher.pc, 'pub');
      this.publisher.start(this.local.micTrack, this.local.camOn ? this.local.camTrack : null);
    }
    this.reportPeers();
    const early = this.early;
    this.early = [];
    for (const m of early) this.onNegotiation(m);
    this.tiles.setSinkId(this.local.speakerId);
    this.controls.setEnabled(true);
    this.lastMedia = JSON.stringify(this.media());
    this.refreshSelf();
    this.banner.hide('connect');
    this.onState('joined');
    // Back by itself: the banner stays until the video moves again.
    if (this.auto) {
      this.awaitFlow();
      return;
    }
    // The Join button that had the focus is gone; keyboard users land on the controls.
    const first = this.receiveOnly ? this.controls.buttons.chat : this.controls.buttons.mic;
    first.focus({ preventScroll: true });
  }

  upsert(participant) {
    if (!participant || !participant.id) return;
    if (this.self && participant.id === this.self.id) {
      this.self = participant;
    } else {
      this.others.set(participant.id, participant);
      this.tiles.upsert(participant);
    }
    this.renderPeople();
  }

  updateCamera(camera) {
    if (!camera || !camera.id || this.ended) return;
    this.cameras.set(camera.id, camera);
    this.tiles.setCamera(camera);
    this.renderPeople();
    this.onCameras(Object.fromEntries(this.cameras));
  }

  removeParticipant(id) {
    this.others.delete(id);
    this.tiles.remove(id);
    this.renderPeople();
  }

  // pub_answer, sub_offer and ice. The server may start offering the subscribe connection
  // before its `joined` has been read here; such messages are kept and replayed in order.
  onNegotiation(msg) {
    if (!this.subscriber) {
      this.early.push(msg);
      return;
    }
    if (msg.type === 'pub_answer') this.publisher?.onAnswer(msg.sdp);
    else if (msg.type === 'sub_offer') this.subscriber.onOffer(msg);
    else if (msg.pc === 'pub') this.publisher?.addRemoteCandidate(msg.candidate || null);
    else if (msg.pc === 'sub') this.subscriber.addRemoteCandidate(msg.candidate || null);
  }

  onServerError({ code, message }) {
    console.warn('vigie: server error', code, message);
    if (code === 'resume_refused') this.joinAgain();
    else if (code === 'replaced') this.finish({ reason: 'replaced' });
    else if (FATAL_CODES.has(code) || !this.self) this.finish({ reason: 'error', code });
    else this.showServerError(code);
  }

  showServerError(code) {
    const action = code === 'negotiation_failed' || code === 'internal'
      ? { label: t('call.rejoin'), run: () => this.rejoin() }
      : { label: t('call.dismiss'), run: () => this.banner.hide('server') };
    this.banner.show('server', errorWords(code).title, { tone: 'error', action });
  }

  // The protocol's `media` state: what is really being sent.
  media() {
    if (this.receiveOnly) return { audio: false, video: false, screen: false };
    return { ...this.local.sending(), screen: !!this.screenTrack };
  }

  // Tells the room about a media change, once per real change.
  sendMedia() {
    const media = this.media();
    const text = JSON.stringify(media);
    if (!this.self || text === this.lastMedia) return;
    if (this.signaling.send('media', { media })) this.lastMedia = text;
  }

  // The local devices changed (a click, or a device unplugged): follow with the senders.
  async syncLocal() {
    if (this.ended) return;
    if (this.publisher) {
      await this.publisher.setMicrophone(this.local.micTrack);
      await this.publisher.setCamera(this.local.camOn ? this.local.camTrack : null);
    }
    this.refreshSelf();
    this.sendMedia();
  }

  async toggleMic() {
    if (this.receiveOnly) return;
    const on = !this.local.sending().audio;
    await this.local.setMicOn(on);
    if (on && !this.local.micTrack) this.deviceError('audio');
  }

  async toggleCam() {
    if (this.receiveOnly) return;
    const on = !this.local.sending().video;
    await this.local.setCamOn(on);
    if (on && !this.local.camTrack) this.deviceError('video');
  }

  deviceError(kind) {
    const words = this.local.availability === 'ok'
      ? t(mediaErrorKey(this.local.errors[kind], kind))
      : t(`media.${this.local.availability}`);
    this.banner.show('device', words, {
      tone: 'error', action: { label: t('call.dismiss'), run: () => this.banner.hide('device') },
    });
  }

  async toggleScreen() {
    if (this.receiveOnly) return;
    if (this.screenTrack) {
      await this.stopScreen();
      return;
    }
    let track;
    try {
      track = await openScreen();
    } catch (err) {
      if (!isCancelled(err)) {
        this.banner.show('device', t('media.failed.screen'), {
          tone: 'error', action: { label: t('call.dismiss'), run: () => this.banner.hide('device') },
        });
      }
      return;
    }
    if (this.ended || !this.publisher) {
      track.stop();
      return;
    }
    this.screenTrack = track;
    // The browser's own "Stop sharing" bar ends the track without going through our button.
    track.addEventListener('ended', () => this.stopScreen(), { once: true });
    this.controls.setScreen(true);
    await this.publisher.startScreen(track);
    this.sendMedia();
    this.renderPeople();
  }

  async stopScreen() {
    const track = this.screenTrack;
    if (!track) return;
    this.screenTrack = null;
    track.stop();
    this.controls.setScreen(false);
    if (this.publisher && !this.ended) await this.publisher.stopScreen();
    this.sendMedia();
    this.renderPeople();
  }

  togglePanel(which) {
    const panel = which === 'chat' ? this.chat : this.people;
    const open = !panel.isOpen();
    this.files.setOpen(false);
    this.chat.setOpen(which === 'chat' && open);
    this.people.setOpen(which === 'people' && open);
    this.controls.setPanel(open ? which : null);
  }

  closePanels() {
    this.files.setOpen(false);
    this.chat.setOpen(false);
    this.people.setOpen(false);
    this.controls.setPanel(null);
  }

  refreshSelf() {
    const sending = this.media();
    const id = this.self ? this.self.id : '';
    const name = this.self ? this.self.name : this.name;
    // An observer has nothing to see of themselves: no self-view.
    if (this.receiveOnly) this.tiles.removeSelf();
    else this.tiles.setSelf(id, name, sending.video ? this.local.camTrack : null, sending.audio);
    this.controls.setMic(sending.audio);
    this.controls.setCam(sending.video);
    this.controls.setScreen(!!this.screenTrack);
    this.renderPeople();
  }

  renderPeople() {
    // Our own line shows what we send now, not the server's last echo of it.
    const self = this.self ? { ...this.self, media: this.media() } : null;
    this.people.render(self, this.others.values(), this.cameras.values());
  }

  // ICE trouble on either connection shows in the banner and restarts ICE: at once when
  // "failed", after a grace when "disconnected" (which often heals by itself).
  watch(pc, kind) {
    pc.addEventListener('connectionstatechange', () => {
      if (this.ended) return;
      const state = pc.connectionState;
      if (state === 'failed' || state === 'disconnected') {
        this.banner.show('ice', t('call.resuming'));
        this.scheduleIceRestart(pc, kind, state === 'failed' ? 0 : ICE_GRACE_MS);
      } else if (state === 'connected') {
        clearTimeout(this.iceTimers[kind]);
        clearTimeout(this.iceTimers[`${kind}-give-up`]);
        delete this.iceTimers[`${kind}-give-up`];
        this.banner.hide('ice');
      }
    });
  }

  scheduleIceRestart(pc, kind, delay) {
    clearTimeout(this.iceTimers[kind]);
    this.iceTimers[kind] = setTimeout(() => this.restartIce(pc, kind), delay);
    const giveUp = `${kind}-give-up`;
    if (!this.iceTimers[giveUp]) {
      this.iceTimers[giveUp] = setTimeout(() => {
        delete this.iceTimers[giveUp];
        if (this.cut) return; // the resume deals with it
        if (pc.connectionState !== 'connected') this.mediaFailed(new Error(`ICE of ${kind} did not come back`));
      }, MEDIA_GIVE_UP_MS);
    }
  }

  // The publish connection re-offers with new ICE credentials; the subscribe connection asks the
  // server to. With the WebSocket down, resuming does it.
  restartIce(pc, kind) {
    if (this.ended || pc.connectionState === 'connected' || pc.connectionState === 'closed') return;
    console.info('vigie: restarting ICE of', kind);
    if (kind === 'pub') this.publisher?.restartIce();
    else this.signaling.send('sub_restart');
  }

  restartIceWhereNeeded() {
    for (const [kind, pc] of [['pub', this.publisher?.pc], ['sub', this.subscriber?.pc]]) {
      if (pc && (pc.connectionState === 'failed' || pc.connectionState === 'disconnected')) this.scheduleIceRestart(pc, kind, 0);
    }
  }

  // The same server session again after a cut: catch up on who is there, the cameras, the chat,
  // and any negotiation the cut interrupted.
  onResumed(msg) {
    this.retry.tries = 0;
    this.cut = false;
    console.info('vigie: session resumed');
    const present = new Set((msg.participants || []).map((p) => p.id));
    for (const id of [...this.others.keys()]) if (!present.has(id)) this.removeParticipant(id);
    for (const p of msg.participants || []) this.upsert(p);
    for (const c of msg.cameras || []) this.updateCamera(c);
    this.chat.addAll(msg.chat || []);
    this.files.load();
    this.publisher?.resend();
    this.restartIceWhereNeeded();
    this.lastMedia = '';
    this.sendMedia();
    this.onState('joined');
    this.awaitFlow();
  }

  // Hides the reconnecting banner once video frames are decoded again.
  awaitFlow() {
    this.flow?.abort();
    this.flow = new AbortController();
    const signal = this.flow.signal;
    watchFlow(() => (this.subscriber ? this.subscriber.pc : null), signal).then(() => {
      if (signal.aborted || this.ended) return;
      this.banner.hide('reconnect');
      console.info('vigie: media flowing again');
    });
  }

  mediaFailed(err) {
    if (this.ended) return;
    console.warn('vigie: media connection failed', err);
    this.banner.show('media', t('call.mediaFailed'), {
      tone: 'error', action: { label: t('call.rejoin'), run: () => this.rejoin() },
    });
  }

  soundBlocked() {
    this.banner.show('sound', t('call.soundBlocked'), {
      action: { label: t('call.enableSound'), run: () => { this.tiles.playAll(); this.banner.hide('sound'); } },
    });
  }

  reportPeers() {
    this.onPeers({ pub: this.publisher ? this.publisher.pc : null, sub: this.subscriber ? this.subscriber.pc : null });
  }

  /** The person clicked Leave: tell the server, then close everything. */
  leave() {
    if (!this.ended) this.signaling.send('leave');
    this.finish({ reason: 'left' });
  }

  /** Best effort when the page is being closed: the others see us leave at once. */
  leaveQuietly() {
    if (!this.ended) this.signaling.send('leave');
  }

  // Leaves this session and asks for a fresh one.
  rejoin() {
    this.leaveQuietly();
    this.teardown();
    this.dispose();
    this.onRejoin();
  }

  // The server no longer knows this session: a new one, with the same link, by itself.
  joinAgain() {
    this.teardown();
    this.dispose();
    this.onRejoin({ auto: true });
  }

  // The WebSocket closed on its own. Once joined, the session is resumed; an automatic session
  // keeps trying to join; otherwise the person is asked.
  lost() {
    if (this.ended) return;
    if ((this.self && this.resumeKey) || this.auto) {
      if (this.self) {
        this.cut = true;
        this.onState('reconnecting');
        this.banner.show('reconnect', t('call.resuming'));
        this.flow?.abort();
      }
      this.retry.schedule();
      return;
    }
    this.teardown();
    this.onState('error');
    this.banner.show('lost', t('call.lost'), {
      tone: 'error', action: { label: t('call.rejoin'), run: () => this.rejoin() },
    });
  }

  finish(result) {
    if (!this.ended) this.teardown();
    this.dispose();
    this.banner.hide();
    this.onEnd(result);
  }

  // Closes the connections and clears the call area; the controls stay for Leave and Rejoin.
  teardown() {
    this.ended = true;
    clearTimeout(this.joinTimer);
    this.retry.stop();
    this.flow?.abort();
    for (const timer of Object.values(this.iceTimers)) clearTimeout(timer);
    if (this.screenTrack) this.screenTrack.stop();
    this.screenTrack = null;
    if (this.publisher) this.publisher.close();
    if (this.subscriber) this.subscriber.close();
    this.signaling.close();
    this.quality.destroy();
    this.tiles.destroy();
    this.chat.destroy();
    this.people.destroy();
    this.files.destroy();
    this.controls.setEnabled(false);
    this.controls.setScreen(false);
    this.controls.setPanel(null);
    this.controls.setUnread(0);
    this.onPeers({ pub: null, sub: null });
  }

  /** Releases the page elements for the next session. */
  dispose() {
    this.controls.destroy();
    this.listeners.abort();
  }
}
