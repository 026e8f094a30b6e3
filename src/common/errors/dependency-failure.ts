import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';

/**
 * Thrown where a client failed to reach its server at all (the database pool could not hand
 * out a connection): whatever the driver's own error says, the dependency is unavailable.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';

  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** Node's socket and DNS error codes: the server is down, restarting, unreachable or unresolvable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * PostgreSQL SQLSTATE classes that mean "not now" rather than "wrong": connection
 * exceptions and insufficient resources (too many connections, out of memory or disk).
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(['08', '53']);

/** Single SQLSTATEs of the same kind in classes that otherwise mean a bug. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown: another backend crashed, the server is restarting
  '57P03', // cannot_connect_now: still starting up or in recovery
  '57P05', // idle_session_timeout
  '57014', // query_canceled: our statement_timeout fired
  '40001', // serialization_failure: a retry resolves it
  '40P01', // deadlock_detected: a retry resolves it
  '55P03', // lock_not_available: lock_timeout fired
  '25006', // read_only_sql_transaction: a standby after a failover, until the primary is back
]);

/**
 * Redis error replies start with an error code (the protocol's convention); these mean the
 * server cannot serve now (loading its data set, busy script, failover, out of memory).
 */
const UNAVAILABLE_REDIS_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'READONLY',
  'OOM',
]);

/** How many causes deep to look: TypeORM wraps driver errors, which may wrap socket errors. */
const MAX_DEPTH = 4;

function isUnavailableSqlState(code: string | undefined): boolean {
  if (code === undefined) return false;
  return UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_SQLSTATES.has(code);
}

/** JavaScript's own errors (a bug in our code or in a driver), never a server being away. */
function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError;
}

/** What the error itself says, without looking at what it wraps. */
function saysUnavailable(error: object): boolean {
  if (error instanceof DependencyUnavailableError) return true;
  // The server answered: its SQLSTATE decides.
  if (error instanceof DatabaseError) return isUnavailableSqlState(error.code);
  // A query was sent and PostgreSQL never answered it with a SQLSTATE: the connection ended,
  // the read timed out, or the client was no longer queryable.
  if (error instanceof QueryFailedError) {
    const driverError: unknown = error.driverError;
    return !(driverError instanceof DatabaseError) && !isProgrammingError(driverError);
  }
  // ioredis: out of reconnection attempts, or a command aborted when its connection closed.
  if (error instanceof MaxRetriesPerRequestError) return true;
  if (error instanceof Error && error.name === 'AbortError' && 'command' in error) return true;
  if (error instanceof (ReplyError as new () => Error)) {
    return UNAVAILABLE_REDIS_REPLIES.has(error.message.split(' ', 1)[0]);
  }
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/**
 * Whether an error means a dependency is unavailable (answer 503 with Retry-After) rather
 * than a bug (500), decided by what the drivers report (SQLSTATE, error class, Node's error
 * code), never by message text. TypeORM wraps driver errors, so the driver's own error
 * (`driverError`, `cause`) is inspected too, and so is each error of an `AggregateError`
 * (a connection attempted on several addresses).
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (depth >= MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  if (saysUnavailable(error)) return true;
  const { driverError, cause, errors } = error as {
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const aggregated: unknown[] = Array.isArray(errors) ? errors.slice(0, 4) : [];
  const nested = [driverError, cause, ...aggregated];
  return nested.some((inner) => inner !== error && isDependencyUnavailable(inner, depth + 1));
}
