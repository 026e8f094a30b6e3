/** The `typ` of this service's access tokens (RFC 9068 §2.1); other JWTs it signs have their own. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/**
 * The claims of a verified access token. User tokens carry a session (`sid`), `roles` and
 * `auth_time`; a service client's own token (client credentials) has none of them.
 */
export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  sid?: string;
  jti: string;
  iat: number;
  exp: number;
  auth_time?: number;
  roles?: string[];
  client_id?: string;
}

/** A user's access token: the one the user endpoints accept. */
export type SessionTokenClaims = AccessTokenClaims & {
  sid: string;
  auth_time: number;
  roles: string[];
};
