import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The security-event outbox (issue 10). `security_events` holds one row per fact (a session
 * ended, a password changed, a verification asked for); `security_event_deliveries` one row
 * per fact and receiver, whose id is the `jti` of the SET (or logout token) that receiver
 * gets. Both are written by the statement that ends the sessions, so no ending commits
 * without its events and no event without its ending.
 */
export class SecurityEvents1796134915358 implements MigrationInterface {
  name = 'SecurityEvents1796134915358';

  async up(db: QueryRunner): Promise<void> {
    // A receiver: an SSF stream of a service client, or a client's back-channel logout URI.
    await db.query(`
      CREATE TABLE ssf_streams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('ssf', 'backchannel')),
        delivery_method text NOT NULL,
        endpoint_url text,
        events_requested text[] NOT NULL DEFAULT '{}',
        description text,
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'paused', 'disabled')),
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One stream per client and kind: SSF 1.0 lets a transmitter limit receivers to one stream.
    await db.query(
      `CREATE UNIQUE INDEX ssf_streams_client_kind_key ON ssf_streams (client_id, kind)`,
    );

    await db.query(`
      CREATE TABLE security_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_type text NOT NULL
          CHECK (event_type IN ('session-revoked', 'credential-change', 'verification')),
        occurred_at timestamptz NOT NULL,
        user_id uuid,
        session_id uuid,
        initiating_entity text,
        reason text,
        request_id text,
        state text
      )`);
    // Retention and the back-fill of a new stream both read events by time.
    await db.query(`CREATE INDEX security_events_time_idx ON security_events (occurred_at)`);

    await db.query(`
      CREATE TABLE security_event_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        stream_id uuid NOT NULL REFERENCES ssf_streams (id) ON DELETE CASCADE,
        event_id uuid NOT NULL REFERENCES security_events (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        next_attempt_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        delivered_at timestamptz,
        last_error text
      )`);
    // Poll and push take a stream's due, undelivered events oldest first.
    await db.query(
      `CREATE INDEX security_event_deliveries_pending_idx ON security_event_deliveries
         (stream_id, next_attempt_at, created_at) WHERE delivered_at IS NULL`,
    );
    // Retention drops delivered rows by age, and events once no delivery refers to them.
    await db.query(
      `CREATE INDEX security_event_deliveries_event_idx ON security_event_deliveries (event_id)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE security_event_deliveries`);
    await db.query(`DROP TABLE security_events`);
    await db.query(`DROP TABLE ssf_streams`);
  }
}
