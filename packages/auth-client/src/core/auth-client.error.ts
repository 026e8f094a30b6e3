/** Why a token was refused, or why the client could not decide. Stable, for logs and bodies. */
export type AuthClientErrorCode =
  /** Missing, malformed, forged, expired, wrong `typ`/`iss`/`aud`: the caller must get 401. */
  | 'invalid_token'
  /** Well signed, but its session has ended (learned from the stream or from introspection). */
  | 'session_ended'
  /** The stream is stale and introspection could not be reached: fail closed with 503. */
  | 'verification_unavailable';

export class AuthClientError extends Error {
  constructor(
    readonly code: AuthClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthClientError';
  }
}
