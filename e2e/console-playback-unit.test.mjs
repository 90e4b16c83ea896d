// The console's words for the recorded-footage errors (web/static/js/console-playback.js), run
// in Node with a French browser: each refusal of the server (docs/recording.md, "From the
// console") becomes a plain sentence, never the server's English message alone.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

// The console picks its language from navigator when its module loads.
Object.defineProperty(globalThis, 'navigator', { value: { languages: ['fr-FR'], language: 'fr-FR' }, configurable: true });
const { ApiError } = await import('../web/static/js/console-api.js');
const { playbackError, playbackCameras, playbackLine, playbackGoneWords } = await import('../web/static/js/console-playback.js');

const plain = (text) => text.replace(/[\u00a0\u202f]/g, ' ').replace(/\u2019/g, "'");

describe('recorded-footage errors in words', () => {
  const cases = [
    { name: 'recorder unreachable', err: new ApiError(502, 'recorder_unreachable', 'the recorder is unreachable or refused: dial tcp: connection refused'), want: /^L'enregistreur est injoignable/ },
    { name: 'too many playbacks', err: new ApiError(429, 'too_many_playbacks', 'too many recordings are playing: stop one first'), want: /^Trop d'enregistrements sont lus/ },
    { name: 'bad range', err: new ApiError(400, 'bad_request', 'from must be in the past and before to, at most 24 h apart'), want: /^L'enregistreur ne peut pas lire cette plage/ },
    { name: 'camera of another site', err: new ApiError(400, 'bad_request', 'camera quai is not a camera of this incident\'s site'), want: /^Cette caméra n'a pas d'enregistreur/ },
    { name: 'camera without recorder', err: new ApiError(400, 'bad_request', 'unknown camera, or a camera without recorded footage (playback_url)'), want: /^Cette caméra/ },
    { name: 'incident closed', err: new ApiError(409, 'conflict', 'the incident is closed'), want: /^Cet incident est clos/ },
    { name: 'clip before anything shown', err: new ApiError(409, 'conflict', 'nothing has been shown yet: try again in a few seconds'), action: 'clip', want: /^Rien n'a encore été montré/ },
    { name: 'playback gone', err: new ApiError(404, 'not_found', 'no such playback'), action: 'pause', want: /^Cet enregistrement n'est plus lu/ },
    { name: 'pause of an ended playback', err: new ApiError(409, 'ended', 'the playback has ended: its clip can still be saved'), action: 'pause', want: /^Cet enregistrement est terminé : seul son extrait/ },
    { name: 'clip of a forgotten playback', err: new ApiError(404, 'not_found', 'no such playback'), action: 'clip', want: /son extrait ne peut plus être enregistré/ },
    { name: 'dismiss of a forgotten playback', err: new ApiError(404, 'not_found', 'no such playback'), action: 'dismiss', want: /son extrait ne peut plus être enregistré/ },
    { name: 'clip not written', err: new ApiError(500, 'internal', 'the clip could not be saved'), action: 'clip', want: /^L'extrait n'a pas pu être enregistré/ },
    { name: 'recorder down during a clip', err: new ApiError(502, 'recorder_unreachable', 'x'), action: 'clip', want: /^L'enregistreur est injoignable/ },
    { name: 'server not reached', err: new ApiError(0, 'network', 'Failed to fetch'), want: /^Le serveur est injoignable/ },
    { name: 'anything else', err: new ApiError(503, 'http_503', 'Service Unavailable'), want: /^Le serveur a rencontré un problème \(Service Unavailable\)/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.match(plain(playbackError(c.err, c.action)), c.want);
    });
  }
});

describe('cameras offered for recorded footage', () => {
  it('are the site cameras marked playback', () => {
    const site = { cameras: [{ id: 'cour', name: 'Cour', playback: true }, { id: 'quai', name: 'Quai' }, { id: 'hall', playback: false }] };
    assert.deepEqual(playbackCameras(site).map((c) => c.id), ['cour']);
    assert.deepEqual(playbackCameras(null), []);
    assert.deepEqual(playbackCameras({}), []);
  });
});

describe('a playback line', () => {
  const base = { id: 'p1', camera: 'cour', recorded_at: '2026-12-04T13:02:10Z', from: '2026-12-04T13:00:00Z', to: '2026-12-04T13:05:00Z' };
  const cases = [
    { name: 'playing', view: { ...base, state: 'playing' }, state: 'playing', actions: ['pause', 'clip', 'stop'], text: /^Cour — enregistré .* — en lecture$/, note: /^$/ },
    { name: 'paused', view: { ...base, state: 'paused' }, state: 'paused', actions: ['resume', 'clip', 'stop'], text: /— en pause$/, note: /^$/ },
    { name: 'ended', view: { ...base, state: 'ended', until: '2026-12-04T13:15:00Z' }, state: 'ended', actions: ['clip', 'dismiss'], text: /— terminé$/, note: /^Son extrait peut être enregistré jusqu'à \d/ },
    { name: 'ended without until', view: { ...base, state: 'ended' }, state: 'ended', actions: ['clip', 'dismiss'], text: /— terminé$/, note: /^$/ },
    { name: 'unknown state', view: { ...base, state: 'what' }, state: 'playing', actions: ['pause', 'clip', 'stop'], text: /— en lecture$/, note: /^$/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = playbackLine(c.view, 'Cour');
      assert.equal(got.state, c.state);
      assert.deepEqual(got.actions, c.actions);
      assert.match(plain(got.text), c.text);
      assert.match(plain(got.note), c.note);
    });
  }
  it('says when an ended one is gone', () => {
    assert.match(plain(playbackGoneWords({ state: 'ended' }, 'Cour')), /^Cour : l'enregistrement terminé a expiré, son extrait ne peut plus être enregistré/);
    assert.match(plain(playbackGoneWords({ state: 'playing' }, 'Cour')), /^Cour : l'enregistrement n'est plus lu/);
  });
});
