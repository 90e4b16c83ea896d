// Remote ICE candidates can arrive before the description they belong to (the server trickles as
// soon as it has them). addIceCandidate would reject them then, so they wait here and are added
// right after the remote description is set.

export class IceBuffer {
  constructor() {
    this.waiting = [];
  }

  /** Adds candidate (an RTCIceCandidateInit, or null for the end of candidates) to pc, or keeps it. */
  async add(pc, candidate) {
    if (!pc || !pc.remoteDescription) {
      this.waiting.push(candidate);
      return;
    }
    await addCandidate(pc, candidate);
  }

  /** Adds every waiting candidate; call after each setRemoteDescription. */
  async flush(pc) {
    const waiting = this.waiting;
    this.waiting = [];
    for (const candidate of waiting) await addCandidate(pc, candidate);
  }
}

// A candidate the browser refuses (an unsupported transport, say) must not break the call: the
// other candidates may well work. It is logged for whoever debugs a failed connection.
async function addCandidate(pc, candidate) {
  try {
    await pc.addIceCandidate(candidate || undefined);
  } catch (err) {
    console.warn('vigie: ICE candidate refused', candidate, err);
  }
}
