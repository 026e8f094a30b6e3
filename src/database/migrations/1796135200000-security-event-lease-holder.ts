import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Which instance holds a delivery's lease (issue 10). A lease used to be only a time
 * (`next_attempt_at` moved 30–60 s ahead), so an instance stopping gracefully could not hand
 * back what it had taken, and a receiver's push bound could only be counted per instance.
 * With the holder recorded, a stopping instance releases its leases at once, and every
 * instance counts the pushes in flight to a receiver, wherever they were sent from.
 */
export class SecurityEventLeaseHolder1796135200000 implements MigrationInterface {
  name = 'SecurityEventLeaseHolder1796135200000';

  async up(db: QueryRunner): Promise<void> {
    // Nullable, no default: adding it rewrites nothing.
    await db.query(`ALTER TABLE security_event_deliveries ADD COLUMN leased_by uuid`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE security_event_deliveries DROP COLUMN leased_by`);
  }
}
