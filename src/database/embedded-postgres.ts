import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite (real PostgreSQL compiled to WebAssembly) served on a loopback port, so the
 * embedded default goes through exactly the same `pg` driver, TypeORM dialect and
 * migrations as a PostgreSQL server. PGlite has a single session: clients must use one
 * connection, which `dataSourceOptions` ensures.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const directory = resolve(join(dataDir, 'pgdata'));
    await mkdir(directory, { recursive: true });
    const db = await PGlite.create(directory);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    return new EmbeddedPostgres(db, server);
  }

  get url(): string {
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  private stopped = false;

  /** Idempotent: a DataSource may be destroyed twice (a failed start, then shutdown). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.server.stop();
    await this.db.close();
  }
}
