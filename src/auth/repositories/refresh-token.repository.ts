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
}
