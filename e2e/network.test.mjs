// Locked-down networks, with a real browser: vigie runs in a network namespace of its own and
// Chromium in another, joined by a veth pair, with nftables rules in Chromium's namespace only
// (the host's own network is never touched). The person only clicks Join: the browser must find
// the way by itself, from the candidates and the ice_servers the server gave, and decode the
// camera. Needs root, iproute2 and nftables (scripts/test-deps.sh); fails without them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CHROMIUM, Participant, cameraFrames, expectGrowth, onFailure, waitFor } from './lib/browser.mjs';
import { Child } from './lib/process.mjs';
import { binary } from './lib/server.mjs';

const SERVER_IP = '10.77.0.1';
const CLIENT_IP = '10.77.0.2';

const NO_UDP = `table inet vigie_test {
  chain input { type filter hook input priority 0; policy accept; meta l4proto udp drop; }
  chain output { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
}`;
const ONLY_HTTPS = `table inet vigie_test {
  chain output { type filter hook output priority 0; policy drop; oif "lo" accept; ip daddr ${SERVER_IP} tcp dport 8443 accept; }
  chain input { type filter hook input priority 0; policy drop; iif "lo" accept; ct state established,related accept; }
}`;

function run(cmd, args, input) {
  return execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Namespaces is the server's and the browser's network namespaces, joined by a veth pair. */
class Namespaces {
  constructor() {
    if (process.getuid?.() !== 0) throw new Error('these tests need root: they create network namespaces (CI runs as root)');
    for (const tool of ['ip', 'nft']) {
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

  remove() {
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
 * setUp starts vigie --demo in the server namespace with the client firewall given and returns
 * {ns, server, link, chromium, dir} once the demo camera is live.
 */
async function setUp(ruleset) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigie-e2e-net-'));
  const ns = new Namespaces();
  const env = { ns, dir, server: null };
  try {
    ns.firewallClient(ruleset);
    const cfg = path.join(dir, 'vigie.yaml');
    await writeFile(cfg, `listen: ":8443"\nhosts: ["${SERVER_IP}"]\ndata: "${path.join(dir, 'data')}"\nlog:\n  format: json\n`);
    env.server = new Child('vigie serve', 'ip', ['netns', 'exec', ns.server, binary, 'serve', '--config', cfg, '--demo']);
    env.link = (await env.server.waitLine(/participant link:\s+(https:\/\/\S+)/))[1];
    await env.server.waitLine(/"msg":"camera status","camera_id":"demo".*"state":"live"/);
    // Chromium runs in the client namespace; playwright speaks to it over pipes, which cross.
    env.chromium = path.join(dir, 'chromium-in-namespace');
    await writeFile(env.chromium, `#!/bin/sh\nexec ip netns exec ${ns.client} ${CHROMIUM} "$@"\n`);
    await chmod(env.chromium, 0o755);
    return env;
  } catch (err) {
    await tearDown(env);
    throw err;
  }
}

async function tearDown(env) {
  await env.server?.stop();
  env.ns.remove();
  await rm(env.dir, { recursive: true, force: true });
}

/** The selected candidate pair of the subscribe connection, from the browser's statistics. */
function selectedPair() {
  return (async () => {
    const stats = await window.vigie?.sub?.getStats();
    let pair = null;
    stats?.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return {
      local: { type: local.candidateType, protocol: local.protocol, relayProtocol: local.relayProtocol ?? '' },
      remote: { type: remote.candidateType, protocol: remote.protocol, port: remote.port },
    };
  })();
}

/** joinAndWatch joins from env's link in a namespaced Chromium, checks the camera plays, returns the route. */
async function joinAndWatch(t, env, name) {
  const participants = [];
  t.after(() => Promise.all(participants.map((p) => p.close())));
  return onFailure(name, { server: env.server, participants }, async () => {
    const p = await Participant.launch(name, { executablePath: env.chromium });
    participants.push(p);
    await p.open(env.link);
    await p.page.locator('#display-name').fill('Gendarmerie');
    const clicked = Date.now();
    await p.page.locator('#join-button').click();
    await waitFor(async () => (await cameraFrames(p.page)) > 0, {
      timeout: 30_000, interval: 50, what: 'a first decoded frame of the camera',
    });
    const firstFrameMs = Date.now() - clicked;
    const growth = await expectGrowth(() => cameraFrames(p.page), { by: 20, what: 'camera frames decoded' });
    const pair = await p.page.evaluate(selectedPair);
    t.diagnostic(`first camera frame ${firstFrameMs} ms after Join, then ${growth.perSecond} frames/s; route ${JSON.stringify(pair)}`);
    assert.ok(pair, 'no selected candidate pair');
    return pair;
  });
}

describe('a browser on a locked-down network', () => {
  describe('that drops all UDP', () => {
    let env;
    before(async () => {
      env = await setUp(NO_UDP);
    });
    after(async () => {
      if (env) await tearDown(env);
    });

    it('gets the camera over TCP by itself', { timeout: 90_000 }, async (t) => {
      const pair = await joinAndWatch(t, env, 'network-no-udp');
      const overTCP = pair.local.protocol === 'tcp' || ['tcp', 'tls'].includes(pair.local.relayProtocol);
      assert.ok(overTCP, `the browser's side of the route is not TCP: ${JSON.stringify(pair)}`);
    });
  });

  describe('that lets out only TCP to the HTTPS port', () => {
    let env;
    before(async () => {
      env = await setUp(ONLY_HTTPS);
    });
    after(async () => {
      if (env) await tearDown(env);
    });

    it('gets the camera through TURN over TLS on that port by itself', { timeout: 90_000 }, async (t) => {
      const pair = await joinAndWatch(t, env, 'network-only-https');
      // Chromium may call its side "prflx" rather than "relay" (the SFU's checks taught it the
      // address before the allocation's candidate was paired); relayProtocol says it is the relay.
      assert.equal(pair.local.relayProtocol, 'tls', `not through the relay over TLS: ${JSON.stringify(pair)}`);
    });
  });
});
