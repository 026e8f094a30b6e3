import { HttpStatus } from '@nestjs/common';

/** Every refusal the service can give, with the HTTP status it maps to. The code is stable; clients may branch on it. */
export const ERROR_STATUS = {
  validation_failed: HttpStatus.BAD_REQUEST,
  session_required: HttpStatus.BAD_REQUEST,
  password_too_common: HttpStatus.BAD_REQUEST,
  password_contains_email: HttpStatus.BAD_REQUEST,
  missing_token: HttpStatus.UNAUTHORIZED,
  invalid_token: HttpStatus.UNAUTHORIZED,
  invalid_credentials: HttpStatus.UNAUTHORIZED,
  invalid_refresh_token: HttpStatus.UNAUTHORIZED,
  invalid_client: HttpStatus.UNAUTHORIZED,
  invalid_request: HttpStatus.BAD_REQUEST,
  unsupported_token_type: HttpStatus.BAD_REQUEST,
  unsupported_grant_type: HttpStatus.BAD_REQUEST,
  invalid_target: HttpStatus.BAD_REQUEST,
  invalid_push_endpoint: HttpStatus.BAD_REQUEST,
  unknown_set: HttpStatus.BAD_REQUEST,
  forbidden: HttpStatus.FORBIDDEN,
  /** A destructive admin action needs a fresh `auth_time`: call `POST /auth/reauthenticate`. */
  reauthentication_required: HttpStatus.FORBIDDEN,
  account_suspended: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  email_taken: HttpStatus.CONFLICT,
  refresh_conflict: HttpStatus.CONFLICT,
  stream_exists: HttpStatus.CONFLICT,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  internal_error: HttpStatus.INTERNAL_SERVER_ERROR,
  service_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
} as const satisfies Record<string, HttpStatus>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Codes RFC 6749 clients read from the `error` field (RFC 7662, RFC 7009 and token endpoints). */
export const OAUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_client',
  'invalid_request',
  'unsupported_token_type',
  'unsupported_grant_type',
  'invalid_target',
]);
