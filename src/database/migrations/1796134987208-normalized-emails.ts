import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { normalizeEmail } from '../../auth/email/email-address';

/** How many colliding user ids the refusal names; the count is always complete. */
const NAMED_IDS = 20;

/**
 * Issue 11: every stored email is in the one normalised form (`normalizeEmail`), and
 * uniqueness is on that form exactly, no longer on PostgreSQL's locale-dependent `lower()`.
 *
 * The normal form is computed here, in the service's own code, not in SQL: PostgreSQL has no
 * function that agrees with it. Two accounts whose addresses only the new form makes equal
 * (`ÉVE@x` and `éve@x` under a C-locale `lower()`, or a full-width and an ASCII address)
 * are never merged silently: the migration refuses, naming the accounts, and an operator
 * decides which one keeps the address.
 */
export class NormalizedEmails1796134987208 implements MigrationInterface {
  name = 'NormalizedEmails1796134987208';

  async up(db: QueryRunner): Promise<void> {
    const users = (await db.query(`SELECT id, email FROM users ORDER BY created_at, id`)) as {
      id: string;
      email: string;
    }[];
    const byAddress = new Map<string, string[]>();
    for (const user of users) {
      const address = normalizeEmail(user.email);
      byAddress.set(address, [...(byAddress.get(address) ?? []), user.id]);
    }
    const collisions = [...byAddress.values()].filter((ids) => ids.length > 1);
    if (collisions.length > 0) {
      const ids = collisions.flat();
      throw new Error(
        `Cannot normalise emails: ${collisions.length} normalised address(es) shared by ${ids.length} ` +
          `accounts once normalised (user ids: ${ids.slice(0, NAMED_IDS).join(', ')}` +
          `${ids.length > NAMED_IDS ? ', …' : ''}). Give each of these accounts a distinct ` +
          `address (or remove the duplicates), then start the service again.`,
      );
    }

    const changed = users.filter((user) => normalizeEmail(user.email) !== user.email);
    await db.query(`DROP INDEX users_email_lower_key`);
    if (changed.length > 0) {
      await db.query(
        `UPDATE users SET email = normalized.email
         FROM unnest($1::uuid[], $2::text[]) AS normalized (id, email)
         WHERE users.id = normalized.id`,
        [changed.map((user) => user.id), changed.map((user) => normalizeEmail(user.email))],
      );
    }
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX users_email_key`);
    await db.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
  }
}
