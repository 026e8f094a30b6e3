import { DataSource, type DataSourceOptions } from 'typeorm';
import { type AppConfig } from '../config/app-config';
import { AuditEvent } from '../auth/entities/audit-event.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { Session } from '../auth/entities/session.entity';
import { SigningKey } from '../auth/entities/signing-key.entity';
import { User } from '../auth/entities/user.entity';
import { EmbeddedPostgres } from './embedded-postgres';
import { InitialSchema1764086400000 } from './migrations/1764086400000-initial-schema';
import { SecurityEvents1796134915358 } from './migrations/1796134915358-security-events';
import { UserStatusAndAdminIndexes1796134980958 } from './migrations/1796134980958-user-status-and-admin-indexes';
import { NormalizedEmails1796134987208 } from './migrations/1796134987208-normalized-emails';
import { SecurityEventLeaseHolder1796135200000 } from './migrations/1796135200000-security-event-lease-holder';
import { RefreshTokenRoomForHotUpdates1796147493706 } from './migrations/1796147493706-refresh-token-room-for-hot-updates';
import { SecurityEventPushLease1796159000000 } from './migrations/1796159000000-security-event-push-lease';
import { pgDriver } from './pg-driver';

export const ENTITIES = [User, Session, RefreshToken, AuditEvent, SigningKey];
export const MIGRATIONS = [
  InitialSchema1764086400000,
  SecurityEvents1796134915358,
  UserStatusAndAdminIndexes1796134980958,
  NormalizedEmails1796134987208,
  SecurityEventLeaseHolder1796135200000,
  RefreshTokenRoomForHotUpdates1796147493706,
  SecurityEventPushLease1796159000000,
];

/** Any 64-bit number unique to this service: serialises migrations across instances. */
const MIGRATION_LOCK_KEY = 7_201_338_815;

/** A DataSource that also owns the embedded database it talks to, and stops it when destroyed. */
class ServiceDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    private readonly embedded?: EmbeddedPostgres,
  ) {
    super(options);
  }

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  override async destroy(): Promise<void> {
    if (this.isInitialized) await super.destroy();
    await this.embedded?.stop();
  }
}

/**
 * The one definition of the database connection, shared by the service and by
 * `ormconfig.ts` (the TypeORM CLI). With no `DATABASE_URL` it starts the embedded PGlite.
 * The schema only ever comes from migrations.
 */
export async function createDataSource(config: AppConfig): Promise<DataSource> {
  const embedded = config.databaseUrl ? undefined : await EmbeddedPostgres.start(config.dataDir);
  return new ServiceDataSource(
    {
      type: 'postgres',
      driver: pgDriver,
      url: embedded?.url ?? config.databaseUrl,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsTableName: 'schema_migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      // PGlite is single-session: one connection keeps every transaction on it intact.
      poolSize: embedded ? 1 : 20,
      // Bounded waits: with the database down or overloaded, requests fail fast (503) instead of hanging.
      extra: {
        connectionTimeoutMillis: 2_000,
        idleTimeoutMillis: 30_000,
        query_timeout: 10_000,
        statement_timeout: 10_000,
        keepAlive: true,
      },
    },
    embedded,
  );
}

/** Runs pending migrations; several instances starting together take turns on an advisory lock. */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource instanceof ServiceDataSource && dataSource.isEmbedded) {
    // The embedded database belongs to this process alone (and has one connection to lock with).
    await dataSource.runMigrations();
    return;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations();
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}
