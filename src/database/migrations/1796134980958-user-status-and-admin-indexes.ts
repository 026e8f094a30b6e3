import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 13: accounts can be suspended, and the admin console's searches stay index scans.
 * Every statement is additive, so instances running the previous release keep working.
 */
export class UserStatusAndAdminIndexes1796134980958 implements MigrationInterface {
  name = 'UserStatusAndAdminIndexes1796134980958';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active'
         CHECK (status IN ('active', 'suspended'))`,
    );
    // Email-prefix search in keyset order: byte order ("C") makes `LIKE 'prefix%'` a range scan
    // of this index and gives the same order the pages are cut in, whatever the database locale.
    await db.query(`CREATE INDEX users_email_search_idx ON users ((lower(email) COLLATE "C"), id)`);
    // The emergency brake walks live sessions by start time in batches.
    await db.query(
      `CREATE INDEX sessions_live_created_idx ON sessions (created_at, id) WHERE ended_at IS NULL`,
    );
    // Audit filters an incident responder reaches for: one request, one address.
    await db.query(
      `CREATE INDEX audit_events_request_idx ON audit_events (request_id) WHERE request_id IS NOT NULL`,
    );
    await db.query(
      `CREATE INDEX audit_events_ip_time_idx ON audit_events (ip_address, occurred_at DESC, id DESC)
         WHERE ip_address IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX audit_events_ip_time_idx`);
    await db.query(`DROP INDEX audit_events_request_idx`);
    await db.query(`DROP INDEX sessions_live_created_idx`);
    await db.query(`DROP INDEX users_email_search_idx`);
    await db.query(`ALTER TABLE users DROP COLUMN status`);
  }
}
