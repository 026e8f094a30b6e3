/** Event type URIs of CAEP 1.0 and SSF 1.0 that this client understands. */
export const SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a receiver asks its stream for: the endings that matter to access tokens. */
export const REQUESTED_EVENTS: readonly string[] = [SESSION_REVOKED, CREDENTIAL_CHANGE];

export const POLL_DELIVERY = 'urn:ietf:rfc:8936';
export const PUSH_DELIVERY = 'urn:ietf:rfc:8935';
