/** Why a call failed, with the service's stable `code` when it sent one. */
export class AuthClientError extends Error {
  override readonly name = 'AuthClientError';

  constructor(
    /** The service's error code (`invalid_refresh_token`, `rate_limited`, …) or one of CLIENT_ERROR. */
    readonly code: string,
    message: string,
    /** The HTTP status, when the service answered. */
    readonly status?: number,
    /** Seconds the service asked to wait (`Retry-After`) before trying again. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** The client's own codes, besides those the service sends. */
export const CLIENT_ERROR = {
  /** No session: never signed in, signed out, or the session ended. */
  notSignedIn: 'not_signed_in',
  /** Another refresh won and its tokens never reached this client (see the README). */
  refreshConflictUnresolved: 'refresh_conflict_unresolved',
  /** The service could not be reached. */
  network: 'network_error',
} as const;

/** An error from a response and its parsed body, read defensively (a proxy may answer instead). */
export function errorFromResponse(
  response: Response,
  body: unknown,
  retryAfter?: number,
): AuthClientError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return new AuthClientError(
    typeof fields.code === 'string' ? fields.code : `http_${response.status}`,
    typeof fields.message === 'string'
      ? fields.message
      : response.statusText || `HTTP ${response.status}`,
    response.status,
    retryAfter,
  );
}

export function notSignedIn(): AuthClientError {
  return new AuthClientError(CLIENT_ERROR.notSignedIn, 'Not signed in');
}
