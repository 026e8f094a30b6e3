import { CAEP_EVENT_PREFIX } from './event-types';
import { PUSH_METHOD } from './stream';

/*
 * The outbox's INSERT fragments. The statements that end sessions (SessionRepository) splice
 * these into their own WITH chain, so the ending, its audit row and its security events are
 * one statement whatever the number of sessions. This file is the only writer of the outbox
 * columns on the ending side; the security-events repositories read and deliver them.
 */

/** CAEP 1.0 §3.1: who or what caused the change. */
export type InitiatingEntity = 'user' | 'admin' | 'policy' | 'system';

/** Why an ending happened, as a receiver's operator reads it (`reason_admin`). */
export interface EndingDescription {
  initiatingEntity: InitiatingEntity;
  reason: string;
}

/**
 * Describes a session ending for its security event. `actorIsSubject` tells a user ending
 * their own session from someone else (an admin) doing it; null when no user acted
 * (a service client's RFC 7009 revocation, the expiry sweep).
 */
export function describeEnding(
  endReason: string,
  actorIsSubject: boolean | null,
): EndingDescription {
  switch (endReason) {
    case 'logout':
      return { initiatingEntity: 'user', reason: 'The user logged out' };
    case 'admin_logout':
      return { initiatingEntity: 'admin', reason: 'An administrator ended the sessions' };
    case 'suspended':
      return { initiatingEntity: 'admin', reason: 'An administrator suspended the account' };
    case 'password_changed':
      return { initiatingEntity: 'user', reason: 'The user changed their password' };
    case 'refresh_token_reused':
      return { initiatingEntity: 'policy', reason: 'A refresh token was reused' };
    case 'expired':
      return { initiatingEntity: 'policy', reason: 'The session reached its lifetime' };
    case 'idle':
      return { initiatingEntity: 'policy', reason: 'The session was idle too long' };
    case 'session_revoked':
      if (actorIsSubject === true)
        return { initiatingEntity: 'user', reason: 'The user ended the session' };
      if (actorIsSubject === false)
        return { initiatingEntity: 'admin', reason: 'An administrator ended the session' };
      return { initiatingEntity: 'system', reason: 'A service revoked a token of the session' };
    default:
      // Endings added later still get their event; a receiver only loses the nicer wording.
      return {
        initiatingEntity: actorIsSubject === false ? 'admin' : 'system',
        reason: `The session ended (${endReason})`,
      };
  }
}

/** SQL expressions, over the rows of the source CTE, for the columns of one session-revoked event. */
export interface SessionRevokedColumns {
  occurredAt: string;
  userId: string;
  sessionId: string;
  initiatingEntity: string;
  reason: string;
  requestId: string;
}

/**
 * Whether a receiver takes an event: a back-channel logout client every session ending, an
 * SSF stream the CAEP events it requested (by URI, SSF 1.0 §8.1.1).
 */
const RECEIVER_TAKES_EVENT = `CASE stream.kind
    WHEN 'backchannel' THEN event.event_type = 'session-revoked'
    ELSE '${CAEP_EVENT_PREFIX}' || event.event_type = ANY (stream.events_requested)
  END`;

/**
 * CTEs (to append to a WITH chain, leading comma included) that record one `session-revoked`
 * event per row of `source`, optionally one `credential-change` event for the user, and one
 * delivery per event and receiver that takes it (`security_deliveries_out`, returning
 * `stream_id`: empty when no receiver takes the events, so nothing needs waking). Receivers are few (one per service client),
 * so fanning out here keeps delivery a plain per-receiver queue with no cursor to race on.
 */
export function sessionRevokedOutboxSql(
  source: string,
  columns: SessionRevokedColumns,
  credentialChange?: { occurredAt: string; userId: string; requestId: string },
): string {
  const c = columns;
  const credentialChangeRow = credentialChange
    ? `UNION ALL
       SELECT 'credential-change', ${credentialChange.occurredAt}, ${credentialChange.userId},
         NULL::uuid, 'user', 'The user changed their password', ${credentialChange.requestId}`
    : '';
  return `, security_events_out AS (
       INSERT INTO security_events (event_type, occurred_at, user_id, session_id,
         initiating_entity, reason, request_id)
       SELECT 'session-revoked', ${c.occurredAt}, ${c.userId}, ${c.sessionId},
         ${c.initiatingEntity}, ${c.reason}, ${c.requestId} FROM ${source}
       ${credentialChangeRow}
       RETURNING id, event_type, occurred_at
     ), security_deliveries_out AS (
       INSERT INTO security_event_deliveries (stream_id, event_id, created_at, next_attempt_at)
       SELECT stream.id, event.id, event.occurred_at, event.occurred_at
       FROM security_events_out event
       JOIN ssf_streams stream ON stream.status <> 'disabled' AND ${RECEIVER_TAKES_EVENT}
       RETURNING stream_id
     )`;
}

/** Which deliveries an ending's commit must wake: none queued, poll streams only, or push too. */
export type DeliveriesToWake = 'none' | 'poll' | 'all';

/**
 * A SQL expression (for the final SELECT of a statement that appended
 * `sessionRevokedOutboxSql`) telling which deliveries to wake. Poll-only receivers (the
 * consumer package's default) wake long polls but not the push worker.
 */
export const DELIVERIES_TO_WAKE_SQL = `CASE
    WHEN NOT EXISTS (SELECT 1 FROM security_deliveries_out) THEN 'none'
    WHEN EXISTS (SELECT 1 FROM security_deliveries_out queued
      JOIN ssf_streams receiver ON receiver.id = queued.stream_id
      WHERE receiver.kind = 'backchannel' OR receiver.delivery_method = '${PUSH_METHOD}') THEN 'all'
    ELSE 'poll'
  END`;
