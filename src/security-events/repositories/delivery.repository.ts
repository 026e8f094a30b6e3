import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type SecurityEventType } from '../event-types';
import { type InitiatingEntity } from '../security-event-outbox.sql';

/** A delivery taken for sending: the event it carries and the `jti` its SET gets. */
export interface LeasedDelivery {
  jti: string;
  streamId: string;
  attempts: number;
  eventType: SecurityEventType;
  occurredAt: Date;
  userId: string | null;
  sessionId: string | null;
  initiatingEntity: InitiatingEntity | null;
  reason: string | null;
  requestId: string | null;
  state: string | null;
}

/** How a finished push went: done (delivered or refused for good), or to be retried. */
export type SettledDelivery =
  | { jti: string; doneAt: Date; error: string | null }
  | { jti: string; retryAt: Date; error: string };

/** `security_event_deliveries`: each receiver's queue, with leases so no SET goes out twice at once. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * This instance's name on the leases it takes (one per process and app): a graceful stop
   * releases exactly these (`releaseHeld`), and the push bound counts them across instances.
   */
  private readonly holder = randomUUID();

  /**
   * Takes a stream's due deliveries for push, oldest first, hidden from every other taker
   * until `leaseUntil` (`SKIP LOCKED`: concurrent takers split the queue; a SET sent but not
   * recorded is due again when its lease ends, at-least-once), keeping at most `bound` leases
   * of the stream alive at once across every instance: the receiver's row is locked (`FOR NO KEY UPDATE`: the outbox's foreign-key
   * checks on it are not blocked) so instances count and take one after another, and the
   * count is read after the lock, by its own statement, so it includes what the previous
   * holder of the lock took. A crashed instance's leases stop counting when they run out.
   *
   * `inFlight` are the caller's own sends still under way: never leased again while they are
   * (a lease can run out under a send, for example when the clock jumps), and always counted.
   */
  leaseWithinBound(
    streamId: string,
    now: Date,
    bound: number,
    leaseUntil: Date,
    inFlight: readonly string[],
  ): Promise<LeasedDelivery[]> {
    // One round trip: the lock, the count and the lease run in ssf_lease_push (migration
    // SecurityEventPushLease), each statement with its own snapshot.
    return this.dataSource.query<LeasedDelivery[]>(
      'SELECT * FROM ssf_lease_push($1, $2, $3, $4, $5, $6)',
      [streamId, now, bound, leaseUntil, this.holder, inFlight],
    );
  }

  /**
   * One poll's work in one statement: acknowledges `acks` (refused for good where `errors`
   * says so; acknowledging twice keeps the first instant), leases up to `limit` due
   * deliveries as push does (`SKIP LOCKED`), and tells whether more are due. All or none: when one of
   * `acks` is not a delivery of this stream, nothing is acknowledged or leased (`valid` false).
   */
  async acknowledgeAndLease(
    streamId: string,
    acks: readonly string[],
    errors: readonly (string | null)[],
    now: Date,
    limit: number,
    leaseUntil: Date,
  ): Promise<{ valid: boolean; leased: LeasedDelivery[]; moreDue: boolean }> {
    const [row] = await this.dataSource.query<
      {
        valid: boolean;
        leased: (Omit<LeasedDelivery, 'occurredAt'> & { occurredAt: string })[];
        moreDue: boolean;
      }[]
    >(
      `WITH given AS (
         SELECT * FROM unnest($2::uuid[], $3::text[]) AS given(id, error)
       ), valid AS (
         SELECT count(*) = cardinality($2::uuid[]) AS ok FROM security_event_deliveries d
         WHERE d.stream_id = $1 AND d.id = ANY ($2::uuid[])
       ), acked AS (
         UPDATE security_event_deliveries d
         SET delivered_at = COALESCE(d.delivered_at, $4), leased_by = NULL,
           last_error = COALESCE(given.error, d.last_error)
         FROM given WHERE d.stream_id = $1 AND d.id = given.id AND (SELECT ok FROM valid)
         RETURNING d.id
       ), due AS (
         SELECT id FROM security_event_deliveries
         WHERE stream_id = $1 AND delivered_at IS NULL AND next_attempt_at <= $4
           AND id <> ALL ($2::uuid[]) AND (SELECT ok FROM valid)
         ORDER BY next_attempt_at, created_at
         LIMIT $5
         FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE security_event_deliveries d
         SET next_attempt_at = $6, attempts = d.attempts + 1, leased_by = $7
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.stream_id, d.attempts, d.event_id, d.created_at
       )
       SELECT (SELECT ok FROM valid) AS valid,
         (SELECT count(*) FROM acked) AS acknowledged,
         COALESCE((
           SELECT json_agg(json_build_object('jti', leased.id, 'streamId', leased.stream_id,
               'attempts', leased.attempts, 'eventType', e.event_type, 'occurredAt', e.occurred_at,
               'userId', e.user_id, 'sessionId', e.session_id,
               'initiatingEntity', e.initiating_entity, 'reason', e.reason,
               'requestId', e.request_id, 'state', e.state)
             ORDER BY leased.created_at)
           FROM leased JOIN security_events e ON e.id = leased.event_id), '[]') AS leased,
         EXISTS (SELECT 1 FROM security_event_deliveries
           WHERE stream_id = $1 AND delivered_at IS NULL AND next_attempt_at <= $4
             AND id <> ALL ($2::uuid[]) AND id NOT IN (SELECT id FROM due)) AS "moreDue"`,
      [streamId, acks, errors, now, limit, leaseUntil, this.holder],
    );
    return {
      valid: row.valid,
      leased: row.leased.map((delivery) => ({
        ...delivery,
        occurredAt: new Date(delivery.occurredAt),
      })),
      moreDue: row.moreDue,
    };
  }

  /**
   * Hands back every lease this instance still holds (a graceful stop): what it leased and did
   * not finish is due at once, for another instance or the next start, instead of after the
   * lease. A SET that did reach its receiver may come again: delivery is at least once.
   */
  async releaseHeld(now: Date): Promise<number> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `UPDATE security_event_deliveries SET next_attempt_at = $2, leased_by = NULL
       WHERE leased_by = $1 AND delivered_at IS NULL AND next_attempt_at > $2
       RETURNING id`,
      [this.holder, now],
    );
    return rows.length;
  }

  /** Which of `jtis` are deliveries of this stream (acknowledged or not). */
  async findOwnJtis(streamId: string, jtis: readonly string[]): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      'SELECT id FROM security_event_deliveries WHERE stream_id = $1 AND id = ANY ($2::uuid[])',
      [streamId, jtis],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Records how finished pushes went, any number in one statement: done (delivered, or refused
   * for good with `error`) at `doneAt`, or failed and due again at `retryAt`. A delivery done
   * before (two instances, a lease that ran out) keeps its first instant and is not retried.
   */
  async settle(outcomes: readonly SettledDelivery[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.dataSource.query(
      `UPDATE security_event_deliveries d
       SET delivered_at = COALESCE(d.delivered_at, o.done_at),
         next_attempt_at = CASE WHEN d.delivered_at IS NULL AND o.retry_at IS NOT NULL
           THEN o.retry_at ELSE d.next_attempt_at END,
         last_error = CASE WHEN d.delivered_at IS NULL AND o.retry_at IS NOT NULL
           THEN o.error ELSE COALESCE(o.error, d.last_error) END,
         leased_by = NULL
       FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[])
         AS o(id, done_at, retry_at, error)
       WHERE d.id = o.id`,
      [
        outcomes.map((outcome) => outcome.jti),
        outcomes.map((outcome) => ('doneAt' in outcome ? outcome.doneAt : null)),
        outcomes.map((outcome) => ('retryAt' in outcome ? outcome.retryAt : null)),
        outcomes.map((outcome) => outcome.error),
      ],
    );
  }

  /** A verification event for one stream (SSF 1.0 §8.1.4), queued in one statement. */
  async queueVerification(streamId: string, state: string | null, now: Date): Promise<void> {
    await this.dataSource.query(
      `WITH event AS (
         INSERT INTO security_events (event_type, occurred_at, state)
         VALUES ('verification', $2, $3) RETURNING id
       )
       INSERT INTO security_event_deliveries (stream_id, event_id, created_at, next_attempt_at)
       SELECT $1, id, $2, $2 FROM event`,
      [streamId, now, state],
    );
  }

  /**
   * Retention. Delivered rows go once older than `deliveredBefore` (kept at least the
   * access-token lifetime); undelivered ones once older than `undeliveredBefore`, and their
   * count per receiver is returned for the metric and the log. Events no delivery refers to
   * and older than `deliveredBefore` go too (a new stream is back-filled from the rest).
   */
  async purge(
    deliveredBefore: Date,
    undeliveredBefore: Date,
  ): Promise<{ clientId: string; kind: string; dropped: number }[]> {
    const rows = await this.dataSource.query<{ clientId: string; kind: string; dropped: string }[]>(
      `WITH delivered AS (
         DELETE FROM security_event_deliveries
         WHERE delivered_at IS NOT NULL AND created_at < $1
       ), dropped AS (
         DELETE FROM security_event_deliveries
         WHERE delivered_at IS NULL AND created_at < $2
         RETURNING stream_id
       ), events AS (
         -- Rows the CTEs above delete are still visible here: their events go next time.
         DELETE FROM security_events e
         WHERE e.occurred_at < $1
           AND NOT EXISTS (SELECT 1 FROM security_event_deliveries d WHERE d.event_id = e.id)
       )
       SELECT s.client_id AS "clientId", s.kind, count(*) AS dropped
       FROM dropped JOIN ssf_streams s ON s.id = dropped.stream_id
       GROUP BY s.client_id, s.kind`,
      [deliveredBefore, undeliveredBefore],
    );
    return rows.map((row) => ({ ...row, dropped: Number(row.dropped) }));
  }
}
