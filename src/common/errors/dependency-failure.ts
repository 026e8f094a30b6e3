/** Socket-level failures: the database or Redis is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": connection exceptions, shutdown, overload. */
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3]|53300|53400)/;

const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Connection is closed|connect ECONNREFUSED|Client has encountered a connection error|canceling statement due to statement timeout/i;

/**
 * Whether an error means a dependency is unavailable (answer 503 with Retry-After) rather
 * than a bug (500). TypeORM wraps driver errors, so the driver's own error is inspected too.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) {
      return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    current =
      (current as { driverError?: unknown; cause?: unknown }).driverError ??
      (current as { cause?: unknown }).cause;
  }
  return false;
}
