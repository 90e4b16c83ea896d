// The WebSocket to the server (docs/protocol.md): JSON messages with a `type`, dispatched to one
// handler per type. The socket knows nothing of rooms or media; the call session gives meaning to
// the messages.

/** The WebSocket address of this server: wss: when the page is https:, ws: otherwise. */
export function signalingURL() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export class Signaling {
  constructor(url = signalingURL()) {
    this.url = url;
    this.socket = null;
    this.handlers = new Map();
    this.closing = false;
    // Called once when the socket closes without close() having been called.
    this.onLost = () => {};
  }

  /** Registers the handler for a message type (one per type). */
  on(type, handler) {
    this.handlers.set(type, handler);
    return this;
  }

  /** Opens the socket; resolves when it is open, rejects when it cannot be. */
  connect() {
    return new Promise((resolve, reject) => {
      let opened = false;
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.addEventListener('open', () => { opened = true; resolve(); });
      socket.addEventListener('message', (e) => this.dispatch(e.data));
      socket.addEventListener('close', (e) => {
        if (!opened) reject(new Error(`WebSocket ${this.url} closed before opening (${e.code})`));
        else if (!this.closing) this.onLost(e);
      });
    });
  }

  /** Sends a message; false when the socket is not open (the caller decides whether it matters). */
  send(type, fields = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify({ type, ...fields }));
    return true;
  }

  /** Closes on purpose: no onLost afterwards. */
  close() {
    this.closing = true;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
  }

  dispatch(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('vigie: message is not JSON', data);
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;
    const handler = this.handlers.get(msg.type);
    if (handler) handler(msg);
    else console.debug('vigie: message type not handled', msg.type);
  }
}
