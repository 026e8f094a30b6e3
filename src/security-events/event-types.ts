/** The event type URIs this transmitter emits (CAEP 1.0 §3, SSF 1.0 §8.1.4). */
export const CAEP_EVENT_PREFIX = 'https://schemas.openid.net/secevent/caep/event-type/';
export const SESSION_REVOKED = `${CAEP_EVENT_PREFIX}session-revoked`;
export const CREDENTIAL_CHANGE = `${CAEP_EVENT_PREFIX}credential-change`;
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
export const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';
/** OpenID Connect Back-Channel Logout 1.0 §2.4: the `events` member of a logout token. */
export const BACKCHANNEL_LOGOUT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a receiver may request: the CAEP events (verification is always delivered). */
export const EVENTS_SUPPORTED = [SESSION_REVOKED, CREDENTIAL_CHANGE] as const;

/** The facts the outbox records, by their short name (the last segment of their event URI). */
export type SecurityEventType = 'session-revoked' | 'credential-change' | 'verification';

export function eventTypeUri(type: SecurityEventType): string {
  return type === 'verification' ? VERIFICATION : `${CAEP_EVENT_PREFIX}${type}`;
}
