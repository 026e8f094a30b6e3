import pg, { type PoolClient } from 'pg';
import { DependencyUnavailableError } from '../common/errors/dependency-failure';

type ConnectCallback = (
  error: Error | undefined,
  client: PoolClient | undefined,
  release: (release?: unknown) => void,
) => void;

/**
 * A pool whose failures to hand out a connection say so by their type. pg and pg-pool report
 * a refused, timed-out or dropped connection attempt as a plain `Error` whose only detail is
 * its text; whatever that text, failing to connect means the database is unavailable.
 */
class ConnectionFailureTypedPool extends pg.Pool {
  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    const unavailable = (error: unknown) => new DependencyUnavailableError('PostgreSQL', error);
    if (!callback) {
      return super.connect().catch((error: unknown) => {
        throw unavailable(error);
      });
    }
    super.connect((error, client, release) =>
      callback(error ? unavailable(error) : undefined, client, release),
    );
  }
}

/** The `pg` module as TypeORM's `driver` option, with the typed pool in place of pg's own. */
export const pgDriver = { ...pg, Pool: ConnectionFailureTypedPool };
