import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PREPARED } from '../../database/pg-driver';
import { type NormalizedEmail } from '../email/email-address';
import { User, type UserStatus } from '../entities/user.entity';

/** A row of the admin console's user list: the account and how many sessions it has live. */
export interface UserSummary {
  id: string;
  email: string;
  roles: string[];
  status: UserStatus;
  createdAt: Date;
  liveSessions: number;
}

export interface UserSearch {
  /** Lower-cased email prefix; matches every user when empty. */
  emailPrefix: string;
  /** An exact id to match as well (the query looked like a UUID). */
  id?: string;
  /** Keyset position: only users after this (lower(email), id) pair. */
  after?: { email: string; id: string };
  limit: number;
  /** Sessions count as live while unended, unexpired and active since this instant. */
  now: Date;
  idleBefore: Date;
}

/** `LIKE` wildcards in a user's query are literal characters. */
const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (char) => `\\${char}`);

const SUMMARY_COLUMNS = `u.id, u.email, u.roles, u.status, u.created_at AS "createdAt",
  (SELECT count(*)::int FROM sessions s
    WHERE s.user_id = u.id AND s.ended_at IS NULL AND s.expires_at > $1 AND s.last_active_at > $2
  ) AS "liveSessions"`;

@Injectable()
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Exact match on the stored form: folding happened in `normalizeEmail`, never in SQL. */
  findByEmail(email: NormalizedEmail): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ email });
  }

  /**
   * On every `GET /auth/me`: the three columns it answers with, as a prepared statement
   * (parsed and planned once per connection), with no password hash or dates to read and parse.
   */
  async findProfile(id: string): Promise<Pick<User, 'id' | 'email' | 'roles'> | null> {
    const rows: Pick<User, 'id' | 'email' | 'roles'>[] = await this.dataSource.query(
      `${PREPARED}SELECT id, email, roles FROM users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** One indexed row, read without TypeORM's query building and hydration. */
  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<User | null> {
    const rows: User[] = await manager.query(
      `SELECT id, email, password_hash AS "passwordHash", roles, status,
              created_at AS "createdAt", updated_at AS "updatedAt"
       FROM users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Inserts a user; `null` when the (normalised) email is already taken. */
  async insertIfEmailFree(
    user: Pick<User, 'passwordHash' | 'roles' | 'createdAt'> & { email: NormalizedEmail },
  ): Promise<User | null> {
    const rows: { id: string }[] = await this.dataSource.query(
      `INSERT INTO users (email, password_hash, roles, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [user.email, user.passwordHash, user.roles, user.createdAt],
    );
    return rows.length === 0 ? null : this.findById(rows[0].id);
  }

  async updatePasswordHash(
    manager: EntityManager,
    id: string,
    passwordHash: string,
    at: Date,
  ): Promise<void> {
    await manager.getRepository(User).update({ id }, { passwordHash, updatedAt: at });
  }

  /**
   * Reads the account's status under a share lock inside the caller's transaction: a login
   * holding it and a suspension updating the row take turns, so no session can start after
   * the suspension's sweep has ended the others.
   */
  async lockStatus(manager: EntityManager, id: string): Promise<UserStatus | null> {
    const rows: { status: UserStatus }[] = await manager.query(
      'SELECT status FROM users WHERE id = $1 FOR SHARE',
      [id],
    );
    return rows[0]?.status ?? null;
  }

  /** Sets the status; returns the previous one (`null`: no such user). Locks the row until commit. */
  async setStatus(
    manager: EntityManager,
    id: string,
    status: UserStatus,
    at: Date,
  ): Promise<UserStatus | null> {
    const rows: { previous: UserStatus }[] = await manager.query(
      `WITH previous AS (
         SELECT id, status FROM users WHERE id = $1 FOR UPDATE
       ), updated AS (
         UPDATE users u SET status = $2, updated_at = $3 FROM previous WHERE u.id = previous.id
       )
       SELECT status AS previous FROM previous`,
      [id, status, at],
    );
    return rows[0]?.previous ?? null;
  }

  /**
   * Users whose lower-cased email starts with the prefix (or whose id is the given one), in
   * (lower(email), id) byte order: a range scan of `users_email_search_idx`, never an offset.
   */
  search(query: UserSearch): Promise<UserSummary[]> {
    const params: unknown[] = [query.now, query.idleBefore];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    const key = `lower(u.email) COLLATE "C"`;
    const match = [`${key} LIKE ${bind(`${escapeLike(query.emailPrefix)}%`)}`];
    if (query.id !== undefined) match.push(`u.id = ${bind(query.id)}::uuid`);
    const conditions = [`(${match.join(' OR ')})`];
    if (query.after) {
      conditions.push(
        `(${key}, u.id) > (${bind(query.after.email)} COLLATE "C", ${bind(query.after.id)}::uuid)`,
      );
    }
    return this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM users u
       WHERE ${conditions.join(' AND ')}
       ORDER BY ${key}, u.id
       LIMIT ${bind(query.limit)}`,
      params,
    );
  }

  async summary(id: string, now: Date, idleBefore: Date): Promise<UserSummary | null> {
    const rows: UserSummary[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM users u WHERE u.id = $3`,
      [now, idleBefore, id],
    );
    return rows[0] ?? null;
  }
}
