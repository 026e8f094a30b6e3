import { type AuthClientLogger, SILENT_LOGGER } from './logger';
import { type ReceivedSecurityEvent } from './security-event';

export type Delivery =
  /** RFC 8936: the client long-polls its stream (works behind NAT, needs no public endpoint). */
  | { method: 'poll' }
  /** RFC 8935: the auth service POSTs each SET to `endpointUrl` (mounted by you or by the Nest module). */
  | { method: 'push'; endpointUrl: string };

export interface AuthClientOptions {
  /** Expected `iss` of access tokens and security events (the service's `JWT_ISSUER`). */
  issuer: string;
  /** Expected `aud` of access tokens (the service's `JWT_AUDIENCE`). */
  audience: string;
  /** This service's client id and secret (one entry of the auth service's `SERVICE_CLIENTS`). */
  clientId: string;
  clientSecret: string;
  /** Base URL of the auth service; defaults to `issuer` when that is an http(s) URL. */
  serviceUrl?: string;
  /** How ended sessions reach this service. Default: poll. `false`: no stream, always introspect. */
  delivery?: Delivery | false;
  /** How long an ended session is remembered: the access-token lifetime (default 15 min). */
  accessTokenLifetimeMs?: number;
  /** The stream counts as stale after this long without a successful poll or verification (60 s). */
  staleAfterMs?: number;
  /** While stale: ask introspection (default) or trust the signature alone. */
  whenStale?: 'introspect' | 'trust-signature';
  /** When introspection cannot be reached: refuse with 503 (default, fail closed) or accept. */
  whenIntrospectionFails?: 'refuse' | 'accept';
  /**
   * A token naming an unknown `kid` refetches the JWKS (key rotation), at most once per this
   * many ms (5 s), so forged `kid`s cannot make this service hammer the auth service.
   */
  jwksCooldownMs?: number;
  /** Leeway for `exp`/`iat` between clocks, in seconds (5). */
  clockToleranceSeconds?: number;
  /** Events per poll response (100). */
  maxEventsPerPoll?: number;
  /** Back-off between failed stream calls: first and largest delay (250 ms, 10 s). */
  retryDelayMs?: { first: number; max: number };
  /** The source of "now" in ms, for tests that move time. */
  now?: () => number;
  logger?: AuthClientLogger;
  /** Called once per verified event, after it took effect (metrics, tests). */
  onSecurityEvent?: (event: ReceivedSecurityEvent) => void;
}

export interface ResolvedAuthClientOptions extends Required<
  Omit<AuthClientOptions, 'onSecurityEvent' | 'serviceUrl'>
> {
  serviceUrl: string;
  onSecurityEvent?: (event: ReceivedSecurityEvent) => void;
}

const MINUTE = 60_000;

export function resolveOptions(options: AuthClientOptions): ResolvedAuthClientOptions {
  for (const name of ['issuer', 'audience', 'clientId', 'clientSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw new TypeError(`AuthClient: ${name} is required`);
    }
  }
  const serviceUrl = baseUrl(options.serviceUrl ?? options.issuer);
  if (serviceUrl === undefined) {
    throw new TypeError('AuthClient: serviceUrl is required when issuer is not an http(s) URL');
  }
  const delivery = options.delivery ?? { method: 'poll' };
  if (delivery !== false && delivery.method === 'push' && !URL.canParse(delivery.endpointUrl)) {
    throw new TypeError('AuthClient: delivery.endpointUrl must be an absolute URL');
  }
  return {
    issuer: options.issuer,
    audience: options.audience,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    serviceUrl,
    delivery,
    accessTokenLifetimeMs: positive(
      options.accessTokenLifetimeMs,
      15 * MINUTE,
      'accessTokenLifetimeMs',
    ),
    staleAfterMs: positive(options.staleAfterMs, MINUTE, 'staleAfterMs'),
    whenStale: options.whenStale ?? 'introspect',
    whenIntrospectionFails: options.whenIntrospectionFails ?? 'refuse',
    jwksCooldownMs: options.jwksCooldownMs ?? 5_000,
    clockToleranceSeconds: options.clockToleranceSeconds ?? 5,
    maxEventsPerPoll: positive(options.maxEventsPerPoll, 100, 'maxEventsPerPoll'),
    retryDelayMs: options.retryDelayMs ?? { first: 250, max: 10_000 },
    now: options.now ?? Date.now,
    logger: options.logger ?? SILENT_LOGGER,
    onSecurityEvent: options.onSecurityEvent,
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`AuthClient: ${name} must be > 0`);
  return value;
}

function baseUrl(raw: string): string | undefined {
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
