// What a join link says about itself, for the words and the screens only: the server checks
// every token, the page never trusts one (docs/protocol.md, "Links and tokens").

/** Whether a role only watches and writes (docs/protocol.md: observers send no audio or video). */
export function isReceiveOnly(role) {
  return role === 'observer';
}

/**
 * Whether a link's token is an incident's invitation (its subject starts with "v_"). Only read to
 * choose words, never trusted: the server checks the token.
 */
export function isInvitationToken(token) {
  try {
    const payload = String(token).split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
    return typeof claims.sub === 'string' && claims.sub.startsWith('v_');
  } catch {
    return false;
  }
}
