import type { JWTVerifyGetKey } from 'jose' with { 'resolution-mode': 'import' };
import { type ResolvedAuthClientOptions } from './auth-client.options';
import { requestJson } from './http';
import { loadJose } from './jose.loader';

export interface ServiceEndpoints {
  jwksUri: string;
  introspectionEndpoint: string;
  tokenEndpoint: string;
}

/** From `/.well-known/ssf-configuration` (SSF 1.0 §7.1). */
export interface SsfEndpoints {
  issuer: string;
  configurationEndpoint: string;
  statusEndpoint?: string;
  verificationEndpoint?: string;
}

interface OpenIdConfiguration {
  issuer?: unknown;
  jwks_uri?: unknown;
  introspection_endpoint?: unknown;
  token_endpoint?: unknown;
}

interface SsfConfiguration {
  issuer?: unknown;
  configuration_endpoint?: unknown;
  status_endpoint?: unknown;
  verification_endpoint?: unknown;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * Discovery (OpenID Connect and SSF metadata) and the JWKS, fetched once and shared by every
 * verifier. `jose`'s remote key set caches the keys and refetches them when a token names an
 * unknown `kid` (key rotation), at most once per cooldown.
 */
export class ServiceMetadata {
  private endpoints?: Promise<ServiceEndpoints>;
  private ssfEndpoints?: Promise<SsfEndpoints>;
  private keySet?: Promise<JWTVerifyGetKey>;

  constructor(private readonly options: ResolvedAuthClientOptions) {}

  resolve(): Promise<ServiceEndpoints> {
    this.endpoints ??= this.discover().catch((error: unknown) => {
      this.endpoints = undefined; // a failed discovery is retried by the next caller
      throw error;
    });
    return this.endpoints;
  }

  /** Separate from `resolve()`: tokens verify even while the stream metadata cannot be read. */
  ssf(): Promise<SsfEndpoints> {
    this.ssfEndpoints ??= this.discoverSsf().catch((error: unknown) => {
      this.ssfEndpoints = undefined;
      throw error;
    });
    return this.ssfEndpoints;
  }

  keys(): Promise<JWTVerifyGetKey> {
    this.keySet ??= Promise.all([this.resolve(), loadJose()])
      .then(([endpoints, jose]) =>
        jose.createRemoteJWKSet(new URL(endpoints.jwksUri), {
          cooldownDuration: this.options.jwksCooldownMs,
          cacheMaxAge: 10 * 60_000,
        }),
      )
      .catch((error: unknown) => {
        this.keySet = undefined;
        throw error;
      });
    return this.keySet;
  }

  private async discover(): Promise<ServiceEndpoints> {
    const base = this.options.serviceUrl;
    const openid = await requestJson<OpenIdConfiguration>(
      `${base}/.well-known/openid-configuration`,
    );
    if (openid.issuer !== this.options.issuer) {
      throw new Error(
        `discovery names issuer "${String(openid.issuer)}", expected "${this.options.issuer}"`,
      );
    }
    const jwksUri = text(openid.jwks_uri);
    if (!jwksUri) throw new Error('discovery names no jwks_uri');
    return {
      jwksUri,
      introspectionEndpoint: text(openid.introspection_endpoint) ?? `${base}/oauth/introspect`,
      tokenEndpoint: text(openid.token_endpoint) ?? `${base}/oauth/token`,
    };
  }

  private async discoverSsf(): Promise<SsfEndpoints> {
    const ssf = await requestJson<SsfConfiguration>(
      `${this.options.serviceUrl}/.well-known/ssf-configuration`,
    );
    const configurationEndpoint = text(ssf.configuration_endpoint);
    const issuer = text(ssf.issuer);
    if (!configurationEndpoint || !issuer) {
      throw new Error('SSF configuration names no issuer or configuration_endpoint');
    }
    return {
      issuer,
      configurationEndpoint,
      statusEndpoint: text(ssf.status_endpoint),
      verificationEndpoint: text(ssf.verification_endpoint),
    };
  }
}
