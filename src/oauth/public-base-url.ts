import { type AppConfig } from '../config/app-config';
import { DomainError } from '../common/errors/domain.error';

/**
 * The base of every URL the service publishes about itself (discovery, SSF metadata, stream
 * endpoints): `PUBLIC_URL`, else an issuer that is an http(s) URL. Never the request's `Host`
 * or `X-Forwarded-*`: a forged header would put another JWKS or poll endpoint into documents
 * that consumers and shared caches keep. Without one, these documents are not served (404).
 */
export function requirePublicBaseUrl(config: AppConfig): string {
  if (config.publicBaseUrl === undefined) {
    throw new DomainError(
      'not_found',
      'Not served: the service has no configured public URL (set PUBLIC_URL)',
    );
  }
  return config.publicBaseUrl;
}
