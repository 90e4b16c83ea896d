// Network namespaces for the tests on bad networks: vigie runs in a namespace of its own and the
// viewer (Chromium) in another, joined by a veth pair. The client's firewall (nftables) and the
// link's loss and delay (netem) apply inside the namespaces only: the host's own network is never
// touched. Needs root, iproute2 (ip, tc) and nftables (scripts/test-deps.sh); fails without them.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM } from './browser.mjs';
import { Child } from './process.mjs';
import { binary } from './server.mjs';

export const SERVER_IP = '10.77.0.1';
export const CLIENT_IP = '10.77.0.2';

function run(cmd, args, input) {
  return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Namespaces is the server's and the browser's network namespaces, joined by a veth pair. */
export class Namespaces {
  constructor() {
    if (process.getuid?.() !== 0) throw new Error('these tests need root: they create network namespaces (CI runs as root)');
    for (const tool of ['ip', 'tc', 'nft']) {
      try {
        run('sh', ['-c', `command -v ${tool}`]);
      } catch {
        throw new Error(`these tests need "${tool}": install iproute2 and nftables (scripts/test-deps.sh does)`);
      }
    }
    const id = randomBytes(4).toString('hex');
    this.server = `vigie-es-${id}`;
    this.client = `vigie-ec-${id}`;
    this.created = [];
    this.link = null; // `vigie link-sim`, when it carries the traffic instead of the veth pair
    for (const ns of [this.server, this.client]) {
      run('ip', ['netns', 'add', ns]);
      this.created.push(ns);
    }
    run('ip', ['-n', this.server, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', this.client]);
    for (const [ns, ip] of [[this.server, SERVER_IP], [this.client, CLIENT_IP]]) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'veth0']);
      run('ip', ['-n', ns, 'link', 'set', 'veth0', 'up']);
    }
  }

  firewallClient(ruleset) {
    run('ip', ['netns', 'exec', this.client, 'nft', '-f', '-'], ruleset);
  }

  /**
   * impair makes the link between the namespaces lose lossPercent of the packets and delay the
   * others by delayMs, each way: netem on both ends of the veth pair. Where the kernel has no
   * netem (built without sch_netem), `vigie link-sim` does the same in user space on a TUN device
   * in each namespace, which replaces the veth pair. It resolves to how: 'netem' or 'link-sim'.
   */
  async impair({ lossPercent, delayMs }) {
    const netem = ['netem', 'loss', `${lossPercent}%`, 'delay', `${delayMs}ms`, 'limit', '10000'];
    try {
      for (const ns of [this.server, this.client]) run('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'veth0', 'root', ...netem]);
      return 'netem';
    } catch (err) {
      if (!/qdisc kind is unknown/i.test(String(err.stderr))) throw new Error(`tc qdisc add ... netem: ${err.stderr || err.message}`);
    }
    run('ip', ['-n', this.server, 'link', 'del', 'veth0']); // its peer goes with it
    this.link = new Child('vigie link-sim', binary, [
      'link-sim', '--netns-a', this.server, '--netns-b', this.client, '--loss', String(lossPercent), '--delay', `${delayMs}ms`,
    ]);
    await this.link.waitLine(/link ready/);
    for (const [ns, ip, peer] of [[this.server, SERVER_IP, CLIENT_IP], [this.client, CLIENT_IP, SERVER_IP]]) {
      run('ip', ['-n', ns, 'addr', 'add', ip, 'peer', peer, 'dev', 'vtun0']);
      run('ip', ['-n', ns, 'link', 'set', 'vtun0', 'up']);
    }
    return 'link-sim';
  }

  /**
   * linkCounts stops the impaired link and returns what it did to the packets, each way, as lines
   * of text; for netem, its qdisc statistics.
   */
  async linkCounts() {
    if (!this.link) {
      return [this.server, this.client].map((ns) => `${ns}: ${run('tc', ['-n', ns, '-s', 'qdisc', 'show', 'dev', 'veth0']).toString().replace(/\s+/g, ' ').trim()}`);
    }
    await this.link.stop();
    return this.link.lines.filter((l) => /link [ab]->[ab]:/.test(l)).map((l) => l.replace(/^\[out\]\s*/, ''));
  }

  async remove() {
    await this.link?.stop();
    for (const ns of this.created.splice(0)) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch (err) {
        console.error(`ip netns del ${ns}: ${err.message}`);
      }
    }
  }
}

/**
 * setUp makes the namespaces, lets prepare(ns) firewall or impair them, starts vigie --demo in
 * the server's and returns {ns, server, link, chromium, dir, prepared} once the demo camera is
 * live; chromium is a wrapper that starts Chromium in the client's namespace.
 */
export async function setUp(prepare) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-net-'));
  const env = { dir, server: null };
  try {
    env.ns = new Namespaces();
    env.prepared = await prepare(env.ns);
    const cfg = path.join(dir, 'vigie.yaml');
    await writeFile(cfg, `listen: ":8443"\nhosts: ["${SERVER_IP}"]\ndata: "${path.join(dir, 'data')}"\nlog:\n  format: json\n`);
    env.server = new Child('vigie serve', 'ip', ['netns', 'exec', env.ns.server, binary, 'serve', '--config', cfg, '--demo']);
    env.link = (await env.server.waitLine(/participant link:\s+(https:\/\/\S+)/))[1];
    await env.server.waitLine(/"msg":"camera status","camera_id":"demo".*"state":"live"/);
    // Chromium runs in the client namespace; playwright speaks to it over pipes, which cross.
    env.chromium = path.join(dir, 'chromium-in-namespace');
    await writeFile(env.chromium, `#!/bin/sh\nexec ip netns exec ${env.ns.client} ${CHROMIUM} "$@"\n`);
    await chmod(env.chromium, 0o755);
    return env;
  } catch (err) {
    await tearDown(env);
    throw err;
  }
}

export async function tearDown(env) {
  await env.server?.stop();
  await env.ns?.remove();
  await rm(env.dir, { recursive: true, force: true });
}
