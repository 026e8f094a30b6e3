import { type ResolvedAuthClientOptions } from './auth-client.options';
import { basicAuthorization, requestJson } from './http';
import { type ServiceMetadata } from './service-metadata';

interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
}

/** Renew this long before `expires_in` runs out, so a request never leaves with a dying token. */
const RENEW_MARGIN_MS = 30_000;

/**
 * This service's own bearer token (RFC 6749 §4.4 client-credentials grant), which the SSF
 * interop profile expects on stream calls. Cached until shortly before it expires.
 */
export class ServiceTokenProvider {
  private current?: { token: string; renewAt: number };

  constructor(
    private readonly options: ResolvedAuthClientOptions,
    private readonly metadata: ServiceMetadata,
  ) {}

  async authorization(): Promise<string> {
    if (this.current && this.current.renewAt > Date.now()) return `Bearer ${this.current.token}`;
    const { tokenEndpoint } = await this.metadata.resolve();
    const response = await requestJson<TokenResponse>(tokenEndpoint, {
      headers: {
        authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    if (
      typeof response.access_token !== 'string' ||
      response.token_type.toLowerCase() !== 'bearer'
    ) {
      throw new Error('the token endpoint answered without a bearer access_token');
    }
    const lifetimeMs = Math.max(0, (Number(response.expires_in) || 60) * 1000 - RENEW_MARGIN_MS);
    this.current = { token: response.access_token, renewAt: Date.now() + lifetimeMs };
    return `Bearer ${response.access_token}`;
  }

  /** After a 401: the token was revoked or the service restarted with a new key. */
  forget(): void {
    this.current = undefined;
  }
}
