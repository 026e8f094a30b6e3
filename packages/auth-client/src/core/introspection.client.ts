import { type ResolvedAuthClientOptions } from './auth-client.options';
import { basicAuthorization, requestJson } from './http';
import { type ServiceMetadata } from './service-metadata';

/** RFC 7662, asked when the stream cannot vouch that no ending was missed. */
export class IntrospectionClient {
  constructor(
    private readonly options: ResolvedAuthClientOptions,
    private readonly metadata: ServiceMetadata,
  ) {}

  /** Whether the auth service still calls this access token live. Throws when it cannot be asked. */
  async isActive(token: string): Promise<boolean> {
    const { introspectionEndpoint } = await this.metadata.resolve();
    const response = await requestJson<{ active?: unknown }>(introspectionEndpoint, {
      headers: {
        authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      timeoutMs: 5_000,
    });
    return response.active === true;
  }
}
