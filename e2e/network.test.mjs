// Locked-down networks, with a real browser: vigie runs in a network namespace of its own and
// Chromium in another, joined by a veth pair, with nftables rules in Chromium's namespace only
// (the host's own network is never touched). The person only clicks Join: the browser must find
// the way by itself, from the candidates and the ice_servers the server gave, and decode the
// camera. Needs root, iproute2 and nftables (scripts/test-deps.sh); fails without them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Participant, cameraFrames, expectGrowth, onFailure, waitFor } from './lib/browser.mjs';
import { SERVER_IP, setUp, tearDown } from './lib/netns.mjs';

const NO_UDP = `table inet vigie_test {
  chain input { type filter hook input priority 0; policy accept; meta l4proto udp drop; }
  chain output { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
}`;
const ONLY_HTTPS = `table inet vigie_test {
  chain output { type filter hook output priority 0; policy drop; oif "lo" accept; ip daddr ${SERVER_IP} tcp dport 8443 accept; }
  chain input { type filter hook input priority 0; policy drop; iif "lo" accept; ct state established,related accept; }
}`;

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
      env = await setUp((ns) => ns.firewallClient(NO_UDP));
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
      env = await setUp((ns) => ns.firewallClient(ONLY_HTTPS));
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
