import { compile } from 'proxy-addr';
import { type TrustProxy } from '../config/app-config';

type TrustFunction = (address: string, hop: number) => boolean;

/**
 * Fastify takes its `trustProxy` when the adapter is built, before the application (and so
 * `AppConfig`) exists. It is given this object's `trusts` instead, and `configureApp` sets
 * the rule from `TRUST_PROXY`: until then no proxy is trusted. The same rules as Express'
 * `trust proxy`: a hop count trusts that many nearest hops, a list trusts those addresses.
 */
export class ProxyTrust {
  private rule: TrustFunction = () => false;

  readonly trusts: TrustFunction = (address, hop) => this.rule(address, hop);

  set(trust: TrustProxy): void {
    if (trust === false) this.rule = () => false;
    else if (typeof trust === 'number') this.rule = (_address, hop) => hop < trust;
    else this.rule = compile([...trust]);
  }
}
