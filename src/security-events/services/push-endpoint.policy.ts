import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig, isAllowedPushUrl } from '../../config/app-config';
import { DomainError } from '../../common/errors/domain.error';
import { isPrivateAddress } from '../push/private-address';
import { push } from '../push/push-client';

const PROBE_TIMEOUT_MS = 5_000;

const refuse = (why: string) => new DomainError('invalid_push_endpoint', `endpoint_url ${why}`);

/**
 * SSRF safety for RFC 8935 push endpoints, checked before a stream takes one: https only
 * (or an origin in SSF_PUSH_ALLOWED_ORIGINS), no private address, and no redirect: an empty
 * probe POST must not answer 3xx, since redirects are never followed.
 */
@Injectable()
export class PushEndpointPolicy {
  constructor(private readonly config: AppConfig) {}

  allowsPrivate(url: string): boolean {
    return this.config.ssfPushAllowedOrigins.includes(new URL(url).origin);
  }

  async check(url: string): Promise<void> {
    if (!isAllowedPushUrl(url, this.config.ssfPushAllowedOrigins)) {
      throw refuse('must be an https URL without credentials or fragment');
    }
    const allowPrivate = this.allowsPrivate(url);
    if (!allowPrivate) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      const addresses = await lookup(host, { all: true }).catch(() => []);
      if (addresses.length === 0) throw refuse('does not resolve');
      if (addresses.some((entry) => isPrivateAddress(entry.address))) {
        throw refuse('resolves to a private, loopback or link-local address');
      }
    }
    const probe = await push(url, '', {
      contentType: 'application/secevent+jwt',
      allowPrivate,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (probe.status !== undefined && probe.status >= 300 && probe.status < 400) {
      throw refuse('redirects; push never follows redirects');
    }
  }
}
