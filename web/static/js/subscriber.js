// The subscribe connection (pc "sub"): the server is always the offerer and the browser only
// answers, so offers never cross. Offers are applied strictly in arrival order on one promise
// chain. Each offer comes with `tracks` (mid -> participant and source); after every answer the
// receiving transceivers are matched against it and the whole picture is handed to the tiles, so
// a track whose transceiver went inactive disappears without special cases.

import { IceBuffer } from './ice.js';

export class Subscriber {
  /**
   * onTracks(bindings) receives every receiving track as {mid, participant, source, track};
   * onConnection(pc) is told when the connection is created; onFailure(err) when an offer fails.
   */
  constructor({ iceServers, send, onTracks, onConnection, onFailure }) {
    this.iceServers = iceServers;
    this.send = send;
    this.onTracks = onTracks;
    this.onConnection = onConnection;
    this.onFailure = onFailure;
    this.pc = null;
    this.tracks = {};
    this.bindings = new Map();
    this.ice = new IceBuffer();
    this.chain = Promise.resolve();
    this.closed = false;
  }

  /** Queues a sub_offer; it is applied after every earlier one. */
  onOffer(msg) {
    this.enqueue(() => this.apply(msg.sdp, msg.tracks || {}));
  }

  /** Queues a server candidate behind the offers received before it. */
  addRemoteCandidate(candidate) {
    this.enqueue(() => this.ice.add(this.pc, candidate));
  }

  close() {
    this.closed = true;
    if (this.pc) this.pc.close();
  }

  enqueue(step) {
    this.chain = this.chain.then(() => (this.closed ? undefined : step())).catch((err) => this.onFailure(err));
  }

  createConnection() {
    // The server's offer decides bundling; max-bundle here would refuse its first offer, which
    // may carry no media section (and so no BUNDLE group) when nobody sends yet.
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.addEventListener('icecandidate', (e) => {
      this.send('ice', { pc: 'sub', candidate: e.candidate ? e.candidate.toJSON() : null });
    });
    // ontrack fires inside setRemoteDescription, when `tracks` already holds this offer's map:
    // the tile can start playing before the answer is even sent.
    pc.addEventListener('track', (e) => {
      const info = this.tracks[e.transceiver.mid];
      if (!info) return;
      this.bindings.set(e.transceiver.mid, { mid: e.transceiver.mid, ...info, track: e.track });
      this.onTracks([...this.bindings.values()]);
    });
    this.pc = pc;
    this.onConnection(pc);
  }

  async apply(sdp, tracks) {
    if (!this.pc) this.createConnection();
    this.tracks = tracks;
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.ice.flush(this.pc);
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.send('sub_answer', { sdp: this.pc.localDescription.sdp });
    this.reconcile();
  }

  // After an answer, currentDirection says which transceivers really receive.
  reconcile() {
    this.bindings.clear();
    for (const transceiver of this.pc.getTransceivers()) {
      const info = transceiver.mid != null ? this.tracks[transceiver.mid] : null;
      const dir = transceiver.currentDirection;
      if (!info || (dir !== 'recvonly' && dir !== 'sendrecv')) continue;
      this.bindings.set(transceiver.mid, { mid: transceiver.mid, ...info, track: transceiver.receiver.track });
    }
    this.onTracks([...this.bindings.values()]);
  }
}
