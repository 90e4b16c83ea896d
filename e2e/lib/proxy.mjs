// A TCP proxy between the browser and vigie that can cut the network: while cut, it drops every
// connection it carries and closes every new one at once, as a phone losing its network would
// see it. TLS passes through untouched. Media does not go through it: only the page, the API and
// the WebSocket do.

import net from 'node:net';

export class CutProxy {
  /** start listens on a free loopback port and forwards to 127.0.0.1:targetPort. */
  static async start(targetPort) {
    const proxy = new CutProxy(targetPort);
    await new Promise((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  constructor(targetPort) {
    this.targetPort = targetPort;
    this.down = false;
    this.sockets = new Set();
    this.refused = 0;
    this.server = net.createServer((client) => this.carry(client));
  }

  carry(client) {
    if (this.down) {
      this.refused += 1;
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** cut drops every connection and refuses new ones until restore(). */
  cut() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore() {
    this.down = false;
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
