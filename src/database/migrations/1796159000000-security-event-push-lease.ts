import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A push lease in one round trip (issue 10's delivery cost). Taking pushes within a
 * receiver's SSF_PUSH_CONCURRENCY bound needs three statements in one transaction (lock the
 * receiver's row, count the live leases, lease), five round trips from the service; under
 * load that made each pass so slow that push fell behind the logouts. A VOLATILE PL/pgSQL
 * function runs the same statements, each with a fresh snapshot (READ COMMITTED), so the
 * count still sees what the previous holder of the lock took.
 */
export class SecurityEventPushLease1796159000000 implements MigrationInterface {
  name = 'SecurityEventPushLease1796159000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION ssf_lease_push(p_stream uuid, p_now timestamptz, p_bound integer,
        p_until timestamptz, p_holder uuid, p_in_flight uuid[])
      RETURNS TABLE (jti uuid, "streamId" uuid, attempts integer, "eventType" text,
        "occurredAt" timestamptz, "userId" uuid, "sessionId" uuid, "initiatingEntity" text,
        reason text, "requestId" text, state text)
      LANGUAGE plpgsql VOLATILE AS $$
      #variable_conflict use_column
      DECLARE
        live integer;
      BEGIN
        -- Instances count and take one after another (NO KEY: the outbox's foreign-key
        -- checks on the row are not blocked).
        PERFORM 1 FROM ssf_streams s WHERE s.id = p_stream FOR NO KEY UPDATE;
        -- Its own statement, so it counts what the previous holder of the lock took.
        SELECT count(*) INTO live FROM security_event_deliveries d
        WHERE d.stream_id = p_stream AND d.delivered_at IS NULL
          AND ((d.leased_by IS NOT NULL AND d.next_attempt_at > p_now) OR d.id = ANY (p_in_flight));
        IF live >= p_bound THEN
          RETURN;
        END IF;
        RETURN QUERY
          WITH due AS (
            SELECT d.id FROM security_event_deliveries d
            WHERE d.stream_id = p_stream AND d.delivered_at IS NULL AND d.next_attempt_at <= p_now
              AND d.id <> ALL (p_in_flight)
            ORDER BY d.next_attempt_at, d.created_at
            LIMIT p_bound - live
            FOR UPDATE SKIP LOCKED
          ), leased AS (
            UPDATE security_event_deliveries d
            SET next_attempt_at = p_until, attempts = d.attempts + 1, leased_by = p_holder
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.stream_id, d.attempts, d.event_id, d.created_at
          )
          SELECT leased.id, leased.stream_id, leased.attempts, e.event_type, e.occurred_at,
            e.user_id, e.session_id, e.initiating_entity, e.reason, e.request_id, e.state
          FROM leased JOIN security_events e ON e.id = leased.event_id
          ORDER BY leased.created_at;
      END
      $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `DROP FUNCTION ssf_lease_push(uuid, timestamptz, integer, timestamptz, uuid, uuid[])`,
    );
  }
}
