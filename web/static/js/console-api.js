// The console's calls to the server: JSON in and out, the session cookie sent by the browser,
// and the X-Vigie-Console header on every POST, without which the server refuses any change
// (a page of another site cannot add it).

/** ApiError is a failed call: status 0 and code "network" when the server was not reached. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * call sends one request and resolves to the decoded answer, or null for 204 No Content.
 * background marks the page's automatic refreshes, which the server does not count as activity.
 */
export async function call(method, path, body, { background = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-Vigie-Console'] = '1';
  if (background) headers['X-Vigie-Background'] = '1';
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', err && err.message);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: a proxy's page, say; the status tells enough
  }
  if (!res.ok) {
    const err = data && data.error;
    const retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw new ApiError(res.status, (err && err.code) || `http_${res.status}`, (err && err.message) || res.statusText, retryAfter);
  }
  return data;
}

export const session = () => call('GET', '/console/api/session');
export const login = (username, password) => call('POST', '/console/login', { username, password });
export const logout = () => call('POST', '/console/logout');
export const sites = () => call('GET', '/console/api/sites');
export const incidents = (background = false) => call('GET', '/console/api/incidents', undefined, { background });
export const raise = (site, kind) => call('POST', '/console/api/incidents', { site, kind });
export const closeIncident = (id) => call('POST', `/console/api/incidents/${encodeURIComponent(id)}/close`);
export const invite = (id, { email, name, role, language }) =>
  call('POST', `/console/api/incidents/${encodeURIComponent(id)}/invitations`, { email, name, role, language });
export const evidenceKey = () => call('GET', '/console/api/evidence-key');
export const revoke = (id) => call('POST', `/console/api/invitations/${encodeURIComponent(id)}/revoke`);

// Recorded footage from the site's recorder (docs/recording.md), played in the incident's room.
const playbackPath = (id, pid = '') =>
  `/console/api/incidents/${encodeURIComponent(id)}/playback${pid ? `/${encodeURIComponent(pid)}` : ''}`;
export const playbacks = (id, background = false) => call('GET', playbackPath(id), undefined, { background });
export const startPlayback = (id, { camera, from, to }) => call('POST', playbackPath(id), { camera, from, to });
/** action is "pause", "resume", "stop" or "clip" (which answers {file, name}). */
export const playbackAction = (id, pid, action) => call('POST', `${playbackPath(id, pid)}/${action}`);
