import { createHash } from 'node:crypto';
import pg, { type PoolClient, type PoolConfig } from 'pg';
import { DependencyUnavailableError } from '../common/errors/dependency-failure';

/**
 * Put at the start of a hot statement's text: each connection then parses and plans it once
 * (a named prepared statement, named after a hash of the text) instead of on every call.
 * For a statement of many CTEs that parsing and planning cost PostgreSQL more than running it.
 */
export const PREPARED = '/* prepared */ ';

/**
 * Statement names by text. The marked texts are the code's few hot statements (and their
 * variants), so this stays small; it spares hashing the text on every call.
 */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `p_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** A client that prepares the statements marked `PREPARED` and runs everything else as pg does. */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && text.startsWith(PREPARED) && Array.isArray(values)) {
      args = [{ name: statementName(text), text, values }, ...args.slice(2)];
    }
    return (super.query as (...forwarded: unknown[]) => never)(...args);
  }
}

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
  constructor(options?: PoolConfig) {
    super({ ...options, Client: PreparingClient });
  }

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

/**
 * The `pg` module as TypeORM's `driver` option, with the typed pool (of preparing clients) in
 * place of pg's own.
 */
export const pgDriver = { ...pg, Pool: ConnectionFailureTypedPool };
