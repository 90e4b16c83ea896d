// The publish connection (pc "pub"): the browser is always the offerer, the server only answers.
// Microphone and camera each get a sendonly transceiver from the start, even when the device is
// off, so that turning it on later is a replaceTrack with no renegotiation. A screen share adds
// (or revives) a third transceiver and renegotiates. One offer is in flight at a time; a change
// made meanwhile is offered as soon as the answer is in.

import { IceBuffer } from './ice.js';

export class Publisher {
  /**
   * send(type, fields) sends a signaling message; onFailure(err) is told when an offer or answer
   * cannot be applied.
   */
  constructor({ iceServers, send, onFailure }) {
    this.send = send;
    this.onFailure = onFailure;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.ice = new IceBuffer();
    this.stream = new MediaStream();
    this.mic = null;
    this.cam = null;
    this.screen = null;
    this.awaitingAnswer = false;
    this.dirty = false;
    this.iceRestart = false;
    this.pc.addEventListener('icecandidate', (e) => {
      this.send('ice', { pc: 'pub', candidate: e.candidate ? e.candidate.toJSON() : null });
    });
  }

  /** Adds the microphone and camera transceivers (tracks may be null) and sends the first offer. */
  start(micTrack, camTrack) {
    this.mic = this.pc.addTransceiver(micTrack || 'audio', { direction: 'sendonly', streams: [this.stream] });
    this.cam = this.pc.addTransceiver(camTrack || 'video', { direction: 'sendonly', streams: [this.stream] });
    this.negotiate();
  }

  /** Sends track (or nothing, when null) as the microphone. */
  setMicrophone(track) {
    return replace(this.mic, track);
  }

  /** Sends track (or nothing, when null) as the camera. */
  setCamera(track) {
    return replace(this.cam, track);
  }

  /** Starts sending track as the screen share, reusing the transceiver of an earlier share. */
  async startScreen(track) {
    if (this.screen && !isStopped(this.screen)) {
      await this.screen.sender.replaceTrack(track);
      this.screen.direction = 'sendonly';
    } else {
      this.screen = this.pc.addTransceiver(track, { direction: 'sendonly' });
    }
    this.negotiate();
  }

  /** Stops sending the screen; the transceiver goes inactive and waits for the next share. */
  async stopScreen() {
    if (!this.screen || this.screen.direction === 'inactive') return;
    await this.screen.sender.replaceTrack(null);
    this.screen.direction = 'inactive';
    this.negotiate();
  }

  /** Whether a screen is being sent. */
  sharing() {
    return !!(this.screen && this.screen.direction === 'sendonly' && this.screen.sender.track);
  }

  /** Asks for a new offer; at most one is in flight. */
  negotiate() {
    this.dirty = true;
    if (!this.awaitingAnswer) this.offer();
  }

  /** Re-offers with new ICE credentials (the connection is disconnected or failed). */
  restartIce() {
    this.iceRestart = true;
    this.negotiate();
  }

  /**
   * After a WebSocket cut: an offer still waiting for its answer may never have reached the server,
   * or its answer may have been lost; it is sent again.
   */
  resend() {
    if (!this.awaitingAnswer || this.pc.signalingState !== 'have-local-offer') return;
    this.send('pub_offer', { sdp: this.pc.localDescription.sdp, sources: this.sources() });
  }

  /** Applies the server's pub_answer, then offers again if something changed meanwhile. */
  async onAnswer(sdp) {
    if (!this.awaitingAnswer) {
      console.warn('vigie: pub_answer without an offer in flight, ignored');
      return;
    }
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      await this.ice.flush(this.pc);
    } catch (err) {
      this.onFailure(err);
    }
    this.awaitingAnswer = false;
    if (this.dirty) this.offer();
  }

  /** A candidate from the server (null at the end of its candidates). */
  addRemoteCandidate(candidate) {
    return this.ice.add(this.pc, candidate);
  }

  close() {
    this.pc.close();
  }

  async offer() {
    this.dirty = false;
    this.awaitingAnswer = true;
    try {
      const restart = this.iceRestart;
      this.iceRestart = false;
      const offer = await this.pc.createOffer(restart ? { iceRestart: true } : undefined);
      await this.pc.setLocalDescription(offer);
      this.send('pub_offer', { sdp: this.pc.localDescription.sdp, sources: this.sources() });
    } catch (err) {
      this.awaitingAnswer = false;
      this.onFailure(err);
    }
  }

  // mid -> "microphone" | "camera" | "screen" for every transceiver that sends (or may send
  // after a replaceTrack). Mids exist once the local description is set.
  sources() {
    const sources = {};
    const named = [[this.mic, 'microphone'], [this.cam, 'camera'], [this.screen, 'screen']];
    for (const [transceiver, source] of named) {
      if (!transceiver || isStopped(transceiver) || transceiver.mid == null) continue;
      if (transceiver.direction !== 'sendonly') continue;
      sources[transceiver.mid] = source;
    }
    return sources;
  }
}

// replaceTrack on a closed connection rejects; a track change then has nowhere to go anyway.
async function replace(transceiver, track) {
  if (!transceiver || transceiver.sender.track === track) return;
  try {
    await transceiver.sender.replaceTrack(track);
  } catch (err) {
    console.warn('vigie: replaceTrack failed', err);
  }
}

// Older browsers have transceiver.stopped; newer ones say direction "stopped".
function isStopped(transceiver) {
  return transceiver.stopped === true || transceiver.direction === 'stopped';
}
