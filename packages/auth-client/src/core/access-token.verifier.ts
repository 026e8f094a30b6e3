import { type ResolvedAuthClientOptions } from './auth-client.options';
import { AuthClientError } from './auth-client.error';
import { loadJose } from './jose.loader';
import { type ServiceMetadata } from './service-metadata';

/** The caller of a request, as its access token names it. */
export interface AuthenticatedUser {
  userId: string;
  sessionId: string;
  roles: string[];
  /** `exp` and `iat` in seconds. */
  expiresAt: number;
  issuedAt: number;
  /** Every claim of the verified token. */
  claims: Readonly<Record<string, unknown>>;
}

/** The only algorithm the auth service signs with; pinned so no header can choose another. */
export const SIGNING_ALGORITHM = 'ES256';
/** RFC 9068: access tokens say what they are, so a SET or logout token is never one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Signature (JWKS), `typ`, `iss`, `aud`, `exp` and the claims this package relies on. */
export class AccessTokenVerifier {
  constructor(
    private readonly options: ResolvedAuthClientOptions,
    private readonly metadata: ServiceMetadata,
  ) {}

  async verify(token: string): Promise<AuthenticatedUser> {
    const [jose, keys] = await Promise.all([loadJose(), this.metadata.keys()]);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(token, keys, {
        algorithms: [SIGNING_ALGORITHM],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: this.options.clockToleranceSeconds,
        currentDate: new Date(this.options.now()),
      }));
    } catch (error) {
      if (!(error instanceof jose.errors.JOSEError)) throw error; // JWKS unreachable and the like
      if (error.code === 'ERR_JWKS_TIMEOUT') throw error;
      throw new AuthClientError('invalid_token', `access token refused (${error.code})`, {
        cause: error,
      });
    }
    const { sub, sid, exp, iat, roles } = payload;
    if (typeof sid !== 'string' || sid.length === 0) {
      // Client-credentials tokens carry no session: they are not a user's and cannot be logged out.
      throw new AuthClientError('invalid_token', 'access token names no session (sid)');
    }
    return {
      userId: sub as string,
      sessionId: sid,
      roles: Array.isArray(roles) ? roles.filter((role) => typeof role === 'string') : [],
      expiresAt: exp as number,
      issuedAt: iat as number,
      claims: payload,
    };
  }
}
