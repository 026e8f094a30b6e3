import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class InitialSchema1764086400000 implements MigrationInterface {
  name = 'InitialSchema1764086400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);

    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_active_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        auth_time timestamptz NOT NULL DEFAULT now(),
        reauthenticated_at timestamptz,
        ended_at timestamptz,
        end_reason text,
        ip_address text,
        user_agent text
      )`);
    // Logout, session listing and admin logout all look for a user's live sessions.
    await db.query(
      `CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE ended_at IS NULL`,
    );
    // The expiry sweep walks live sessions by deadline.
    await db.query(
      `CREATE INDEX sessions_live_expires_idx ON sessions (expires_at) WHERE ended_at IS NULL`,
    );
    await db.query(
      `CREATE INDEX sessions_live_idle_idx ON sessions (last_active_at) WHERE ended_at IS NULL`,
    );
    // Warming the revocation cache after a restart reads recently ended sessions.
    await db.query(
      `CREATE INDEX sessions_ended_at_idx ON sessions (ended_at) WHERE ended_at IS NOT NULL`,
    );

    await db.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        parent_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        revoked_at timestamptz
      )`);
    await db.query(
      `CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`,
    );
    await db.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);

    await db.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        occurred_at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
        actor_user_id uuid,
        subject_user_id uuid,
        session_id uuid,
        scope text,
        reason text,
        ip_address text,
        user_agent text,
        request_id text
      )`);
    // Newest-first keyset pages, overall and per user (as actor or as subject) and per action.
    await db.query(
      `CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_actor_time_idx ON audit_events (actor_user_id, occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_subject_time_idx ON audit_events (subject_user_id, occurred_at DESC, id DESC)`,
    );
    await db.query(
      `CREATE INDEX audit_events_action_time_idx ON audit_events (action, occurred_at DESC, id DESC)`,
    );

    await db.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        private_key_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE signing_keys`);
    await db.query(`DROP TABLE audit_events`);
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE sessions`);
    await db.query(`DROP TABLE users`);
  }
}
