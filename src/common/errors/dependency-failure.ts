/** Socket-level failures: the database or Redis is down, restarting, unreachable or not resolvable. */
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
 * PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (08),
 * insufficient resources (53: too many connections, out of memory or disk), shutdown and
 * "cannot connect now" (57P01-57P03), a cancelled statement (57014: statement timeout), and
 * the conflicts a retry resolves (40001 serialization failure, 40P01 deadlock, 55P03 lock
 * timeout).
 */
const UNAVAILABLE_SQLSTATES = /^(08|53|57P0[1-3]$|57014$|40001$|40P01$|55P03$)/;

/** What pg, pg-pool and ioredis say, without a code, when their server is out of reach. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection is closed|connect ECONNREFUSED|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|canceling statement due to statement timeout|Stream isn't writeable and enableOfflineQueue options is false|Command timed out|Reached the max retries per request limit/i;

/** How many causes deep to look: TypeORM wraps driver errors, which may wrap socket errors. */
const MAX_DEPTH = 4;

/**
 * Whether an error means a dependency is unavailable (answer 503 with Retry-After) rather
 * than a bug (500). TypeORM wraps driver errors, so the driver's own error (`driverError`,
 * `cause`) is inspected too, and so is each error of an `AggregateError` (a connection
 * attempted on several addresses).
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (depth >= MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) {
    return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  const aggregated: unknown[] = Array.isArray(errors) ? errors.slice(0, 4) : [];
  const nested = [driverError, cause, ...aggregated];
  return nested.some((inner) => inner !== error && isDependencyUnavailable(inner, depth + 1));
}
