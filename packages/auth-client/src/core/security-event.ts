import { CREDENTIAL_CHANGE, SESSION_REVOKED, VERIFICATION } from './event-types';
import { SecurityEventError } from './security-event.error';

/** A verified Security Event Token (RFC 8417), reduced to what a receiver acts on. */
export type ReceivedSecurityEvent =
  | {
      kind: 'session-revoked';
      jti: string;
      userId?: string;
      sessionId?: string;
      /** `event_timestamp` of the CAEP event, in seconds. */
      eventTimestamp: number;
      initiatingEntity?: string;
    }
  | { kind: 'credential-change'; jti: string; userId?: string; eventTimestamp: number }
  | { kind: 'verification'; jti: string; state?: string }
  | { kind: 'other'; jti: string; types: string[] };

type Claims = Record<string, unknown>;

const isObject = (value: unknown): value is Claims =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads the subject (RFC 9493 `complex` with `user` and `session`, or a bare `iss_sub` /
 * `opaque`) and the one event of a verified SET. Refuses a SET that carries no event.
 */
export function readSecurityEvent(claims: Claims, issuedAt: number): ReceivedSecurityEvent {
  const jti = claims.jti as string;
  const events = claims.events;
  if (!isObject(events) || Object.keys(events).length === 0) {
    throw new SecurityEventError('invalid_request', 'the SET carries no events claim');
  }
  const subject = isObject(claims.sub_id) ? claims.sub_id : undefined;
  const user = subject?.format === 'complex' ? subject.user : subject;
  const session = subject?.format === 'complex' ? subject.session : undefined;
  const userId = isObject(user) && typeof user.sub === 'string' ? user.sub : undefined;
  const sessionId = isObject(session) && typeof session.id === 'string' ? session.id : undefined;

  const revoked = events[SESSION_REVOKED];
  if (isObject(revoked)) {
    return {
      kind: 'session-revoked',
      jti,
      userId,
      sessionId,
      eventTimestamp: timestamp(revoked, issuedAt),
      initiatingEntity:
        typeof revoked.initiating_entity === 'string' ? revoked.initiating_entity : undefined,
    };
  }
  const changed = events[CREDENTIAL_CHANGE];
  if (isObject(changed)) {
    return { kind: 'credential-change', jti, userId, eventTimestamp: timestamp(changed, issuedAt) };
  }
  const verification = events[VERIFICATION];
  if (isObject(verification)) {
    return {
      kind: 'verification',
      jti,
      state: typeof verification.state === 'string' ? verification.state : undefined,
    };
  }
  return { kind: 'other', jti, types: Object.keys(events) };
}

function timestamp(event: Claims, fallback: number): number {
  return typeof event.event_timestamp === 'number' ? event.event_timestamp : fallback;
}
