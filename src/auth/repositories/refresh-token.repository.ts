import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefreshToken } from '../entities/refresh-token.entity';

@Injectable()
export class RefreshTokenRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The token's session, read without locking: the caller locks the session before deciding anything. */
  async findSessionIdByHash(tokenHash: Buffer): Promise<string | null> {
    const rows: { session_id: string }[] = await this.dataSource.query(
      'SELECT session_id FROM refresh_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return rows[0]?.session_id ?? null;
  }

  findByHash(manager: EntityManager, tokenHash: Buffer): Promise<RefreshToken | null> {
    return manager.getRepository(RefreshToken).findOneBy({ tokenHash });
  }

  /** The session's live token (neither retired nor revoked); at most one exists. */
  findCurrentForSession(manager: EntityManager, sessionId: string): Promise<RefreshToken | null> {
    return manager
      .getRepository(RefreshToken)
      .createQueryBuilder('token')
      .where('token.session_id = :sessionId', { sessionId })
      .andWhere('token.retired_at IS NULL AND token.revoked_at IS NULL')
      .getOne();
  }

  async insert(
    manager: EntityManager,
    token: Pick<RefreshToken, 'sessionId' | 'tokenHash' | 'parentId' | 'createdAt'>,
  ): Promise<void> {
    await manager.getRepository(RefreshToken).insert(token);
  }

  async retire(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.getRepository(RefreshToken).update({ id }, { retiredAt: at });
  }

  /** The live token with this hash and its live session, for introspection; `null` otherwise. */
  async findLive(
    tokenHash: Buffer,
    now: Date,
    idleBefore: Date,
  ): Promise<{ userId: string; sessionId: string; issuedAt: Date; expiresAt: Date } | null> {
    const rows: { user_id: string; session_id: string; created_at: Date; expires_at: Date }[] =
      await this.dataSource.query(
        `SELECT s.user_id, r.session_id, r.created_at, s.expires_at
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
         WHERE r.token_hash = $1 AND r.retired_at IS NULL AND r.revoked_at IS NULL
           AND s.ended_at IS NULL AND s.expires_at > $2 AND s.last_active_at > $3`,
        [tokenHash, now, idleBefore],
      );
    const row = rows[0];
    return row
      ? {
          userId: row.user_id,
          sessionId: row.session_id,
          issuedAt: row.created_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  /** The owner of the token's session, whatever the token's state (revocation of any known token). */
  async findOwner(tokenHash: Buffer): Promise<{ userId: string; sessionId: string } | null> {
    const rows: { user_id: string; session_id: string }[] = await this.dataSource.query(
      `SELECT s.user_id, r.session_id FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
       WHERE r.token_hash = $1`,
      [tokenHash],
    );
    return rows[0] ? { userId: rows[0].user_id, sessionId: rows[0].session_id } : null;
  }
}
