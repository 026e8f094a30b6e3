import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type NormalizedEmail } from '../email/email-address';
import { User } from '../entities/user.entity';

@Injectable()
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Exact match on the stored form: folding happened in `normalizeEmail`, never in SQL. */
  findByEmail(email: NormalizedEmail): Promise<User | null> {
    return this.dataSource.getRepository(User).findOneBy({ email });
  }

  /** On every `GET /auth/me`: one indexed row, read without TypeORM's query building and hydration. */
  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<User | null> {
    const rows: User[] = await manager.query(
      `SELECT id, email, password_hash AS "passwordHash", roles, created_at AS "createdAt",
              updated_at AS "updatedAt"
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
}
