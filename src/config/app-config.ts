import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from './config.error';
import { parseDuration } from './duration';

export type Environment = Record<string, string | undefined>;

export interface ServiceClient {
  readonly id: string;
  readonly secret: string;
  /** OpenID Connect Back-Channel Logout 1.0: where this client receives logout tokens. */
  readonly backchannelLogoutUri?: string;
  /** Audiences its client-credentials tokens may name; unset means `JWT_AUDIENCE` only. */
  readonly audiences?: readonly string[];
}

/** The validated, typed configuration. Built once at boot by `loadConfig`; injected everywhere else. */
export class AppConfig {
  readonly port!: number;
  /** Unset means the embedded PGlite database under `dataDir`. */
  readonly databaseUrl?: string;
  readonly dataDir!: string;
  /** Unset means in-process stores: a single instance only. */
  readonly redisUrl?: string;
  /** Namespaces every Redis key, so several deployments (or test runs) can share one Redis. */
  readonly redisKeyPrefix!: string;
  /** PEM certificates a `rediss://` Redis must chain to (a private CA); unset: Node's default CAs. */
  readonly redisTlsCaPem?: string;
  readonly jwtIssuer!: string;
  /**
   * The service's external base URL, without a trailing slash: `PUBLIC_URL`, else an issuer
   * that is an http(s) URL (RFC 8414 §3). Discovery documents are built from it and from
   * nothing in the request; unset means they are not served.
   */
  readonly publicBaseUrl?: string;
  readonly jwtAudience!: string;
  readonly jwtPrivateKeyPem?: string;
  /** During a key rotation: the previous key (public or private PEM), still accepted for verification. */
  readonly jwtPreviousPublicKeyPem?: string;
  readonly accessTokenTtlMs!: number;
  readonly refreshTokenTtlMs!: number;
  readonly sessionIdleTimeoutMs!: number;
  readonly logoutRateLimit!: number;
  readonly logoutRateWindowMs!: number;
  /** Failed logins per (account, client) per window; the per-account and per-client limits derive from it. */
  readonly loginRateLimit!: number;
  readonly loginRateWindowMs!: number;
  /** Registrations per client per login window (each costs an argon2 hash). */
  readonly registrationRateLimit!: number;
  readonly refreshTokenReuseIntervalMs!: number;
  readonly accessTokenRevocationCheck!: boolean;
  readonly serviceClients!: readonly ServiceClient[];
  readonly bootstrapAdmin?: { readonly email: string; readonly password: string };
  /**
   * Which `X-Forwarded-For` entries to believe: `false` none, a number of proxy hops in front
   * of the service, or the addresses/CIDRs of trusted proxies (what Express' and Fastify's
   * `trust proxy` take). Never "every hop": a client could then choose its own address.
   */
  readonly trustProxy!: TrustProxy;
  /** Origins allowed by CORS; empty means CORS is off (server-to-server and same-origin only). */
  readonly corsOrigins!: readonly string[];
  readonly logLevel!: LogLevel;
  /** Lifetime of client-credentials tokens (`POST /oauth/token`), at most `ACCESS_TOKEN_TTL`. */
  readonly clientTokenTtlMs!: number;
  /** Origins push delivery may reach over plain http or on private addresses (tests, internal receivers). */
  readonly ssfPushAllowedOrigins!: readonly string[];
  /** How long a poll without `returnImmediately` waits for an event. */
  readonly ssfPollTimeoutMs!: number;
  /** How long an event nobody takes delivery of is kept before it is dropped (with a metric). */
  readonly ssfUndeliveredRetentionMs!: number;
  /** Pushes in flight to one receiver at a time, per instance. */
  readonly ssfPushConcurrency!: number;
  /** The longest wait between two push attempts (the backoff doubles up to it). */
  readonly ssfPushMaxBackoffMs!: number;
  /** Audit events older than this are removed by the retention job. */
  readonly auditRetentionMs!: number;
  /** How recent an admin's `auth_time` must be for destructive admin actions. */
  readonly adminStepUpMaxAgeMs!: number;
}

export type TrustProxy = false | number | readonly string[];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function text(env: Environment, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallback : value;
}

function optional(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number) {
  const raw = text(env, name, String(fallback));
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

const MAX_DURATION_MS = 3650 * 86_400_000;

function duration(env: Environment, name: string, fallback: string, allowZero = false): number {
  const raw = text(env, name, fallback);
  const value = parseDuration(raw);
  // Ten years bounds every lifetime the service has; beyond it dates stop being representable.
  if (value === undefined || (!allowZero && value === 0) || value > MAX_DURATION_MS) {
    throw new ConfigError(name, `must be a duration such as 90s, 15m or 7d (got "${raw}")`);
  }
  return value;
}

function boolean(env: Environment, name: string, fallback: boolean): boolean {
  const raw = text(env, name, String(fallback)).toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/** An IPv4/IPv6 address, optionally with a prefix length (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function trustProxy(env: Environment, name: string): TrustProxy {
  const raw = text(env, name, 'false');
  const lower = raw.toLowerCase();
  if (lower === 'false' || lower === '0') return false;
  // `true` means the nearest proxy only: trusting every hop lets a client pick its own address.
  if (lower === 'true') return 1;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= 32) return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every(isAddressOrCidr)) return Object.freeze(entries);
  throw new ConfigError(
    name,
    `must be false, a hop count (true means 1), or proxy addresses/CIDRs separated by commas (got "${raw}")`,
  );
}

function url(env: Environment, name: string, protocols: string[]): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')})`);
  }
  if (!protocols.includes(protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw;
}

/** A file of PEM certificates, read once at start-up so a bad path stops the process at once. */
function certificateFile(env: Environment, name: string): string | undefined {
  const path = optional(env, name);
  if (path === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(name, `must name a readable file (got "${path}")`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new ConfigError(name, `must name a file of PEM certificates (got "${path}")`);
  }
  return pem;
}

function baseUrl(raw: string): string {
  const parsed = new URL(raw);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** `PUBLIC_URL`, or the issuer when it is an http(s) URL; undefined when neither gives one. */
function publicBaseUrl(env: Environment, issuer: string): string | undefined {
  const configured = url(env, 'PUBLIC_URL', ['http:', 'https:']);
  if (configured !== undefined) {
    const parsed = new URL(configured);
    if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') {
      throw new ConfigError('PUBLIC_URL', 'must be a base URL without query, fragment or user');
    }
    return baseUrl(configured);
  }
  if (!URL.canParse(issuer)) return undefined;
  const protocol = new URL(issuer).protocol;
  return protocol === 'http:' || protocol === 'https:' ? baseUrl(issuer) : undefined;
}

function privateKey(env: Environment, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  // Operators often pass PEMs through env files with literal "\n" sequences.
  const pem = raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError(name, 'must be a P-256 EC private key (ES256)');
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(name, 'must be a PEM-encoded private key');
  }
  return pem;
}

function publicKey(env: Environment, name: string): string | undefined {
  const raw = optional(env, name);
  if (raw === undefined) return undefined;
  const pem = raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
  try {
    const key = pem.includes('PRIVATE KEY')
      ? createPublicKey(createPrivateKey(pem))
      : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError(name, 'must be a P-256 EC key (ES256)');
    }
    return key.export({ format: 'pem', type: 'spki' }).toString();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(name, 'must be a PEM-encoded public or private key');
  }
}

function pairServiceClients(name: string, raw: string): ServiceClient[] {
  return raw.split(',').map((entry) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const secret = entry.slice(separator + 1).trim();
    if (separator < 1 || id === '' || secret.length < 16)
      throw new ConfigError(name, CLIENTS_FORMAT);
    return { id, secret };
  });
}

const CLIENTS_FORMAT =
  'must be id:secret pairs separated by commas, or a JSON array of ' +
  '{"client_id","client_secret","backchannel_logout_uri"?,"audiences"?} (secrets of 16+ characters)';

/** A push or back-channel target: https, or an origin the operator allowed (SSRF safety). */
export function isAllowedPushUrl(raw: string, allowedOrigins: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || allowedOrigins.includes(url.origin);
}

function jsonServiceClients(
  name: string,
  raw: string,
  allowedOrigins: readonly string[],
): ServiceClient[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, `${CLIENTS_FORMAT}: not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(name, CLIENTS_FORMAT);
  return parsed.map((entry: unknown, index) => {
    const where = `entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(name, `${where} must be an object`);
    }
    const fields = entry as Record<string, unknown>;
    const known = ['client_id', 'client_secret', 'backchannel_logout_uri', 'audiences'];
    const unknown = Object.keys(fields).find((key) => !known.includes(key));
    if (unknown !== undefined)
      throw new ConfigError(name, `${where} has unknown field "${unknown}"`);
    const { client_id: id, client_secret: secret, backchannel_logout_uri: uri, audiences } = fields;
    if (typeof id !== 'string' || id.trim() === '' || /[\s,:]/.test(id)) {
      throw new ConfigError(name, `${where} needs a client_id without spaces, commas or colons`);
    }
    if (typeof secret !== 'string' || secret.length < 16) {
      throw new ConfigError(name, `${where} needs a client_secret of 16+ characters`);
    }
    if (uri !== undefined && (typeof uri !== 'string' || !isAllowedPushUrl(uri, allowedOrigins))) {
      throw new ConfigError(
        name,
        `${where} backchannel_logout_uri must be an https URL (or on an origin in SSF_PUSH_ALLOWED_ORIGINS)`,
      );
    }
    if (
      audiences !== undefined &&
      (!Array.isArray(audiences) ||
        audiences.length === 0 ||
        !audiences.every((audience) => typeof audience === 'string' && audience !== ''))
    ) {
      throw new ConfigError(name, `${where} audiences must be a non-empty array of strings`);
    }
    return {
      id,
      secret,
      ...(uri === undefined ? {} : { backchannelLogoutUri: uri }),
      ...(audiences === undefined ? {} : { audiences: audiences as string[] }),
    };
  });
}

function serviceClients(env: Environment, allowedOrigins: readonly string[]): ServiceClient[] {
  const clients: ServiceClient[] = [];
  const inline = optional(env, 'SERVICE_CLIENTS');
  if (inline !== undefined) {
    clients.push(
      ...(inline.startsWith('[')
        ? jsonServiceClients('SERVICE_CLIENTS', inline, allowedOrigins)
        : pairServiceClients('SERVICE_CLIENTS', inline)),
    );
  }
  const file = optional(env, 'SERVICE_CLIENTS_FILE');
  if (file !== undefined) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError('SERVICE_CLIENTS_FILE', `cannot be read (${file})`);
    }
    clients.push(...jsonServiceClients('SERVICE_CLIENTS_FILE', content, allowedOrigins));
  }
  if (new Set(clients.map((client) => client.id)).size !== clients.length) {
    throw new ConfigError(
      file === undefined ? 'SERVICE_CLIENTS' : 'SERVICE_CLIENTS_FILE',
      'names a client id twice',
    );
  }
  return clients;
}

function bootstrapAdmin(env: Environment): AppConfig['bootstrapAdmin'] {
  const email = optional(env, 'BOOTSTRAP_ADMIN_EMAIL');
  const password = env.BOOTSTRAP_ADMIN_PASSWORD;
  if (email === undefined && (password === undefined || password === '')) return undefined;
  if (email === undefined || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ConfigError(
      'BOOTSTRAP_ADMIN_EMAIL',
      'must be an email address when BOOTSTRAP_ADMIN_PASSWORD is set',
    );
  }
  if (password === undefined || password.length < 8 || password.length > 128) {
    throw new ConfigError(
      'BOOTSTRAP_ADMIN_PASSWORD',
      'must be 8 to 128 characters when BOOTSTRAP_ADMIN_EMAIL is set',
    );
  }
  return { email: email.toLowerCase(), password };
}

function origins(env: Environment, name: string): string[] {
  const raw = optional(env, name);
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => {
    const origin = entry.trim();
    if (origin === '*') return origin;
    try {
      const parsed = new URL(origin);
      if (parsed.origin !== origin) throw new Error('not an origin');
    } catch {
      throw new ConfigError(
        name,
        `must be * or origins such as https://app.example.com (got "${origin}")`,
      );
    }
    return origin;
  });
}

function logLevel(env: Environment, name: string): LogLevel {
  const raw = text(env, name, 'info').toLowerCase();
  const level = LOG_LEVELS.find((known) => known === raw);
  if (!level) throw new ConfigError(name, `must be one of ${LOG_LEVELS.join(', ')} (got "${raw}")`);
  return level;
}

/** Validates the environment; throws a `ConfigError` naming the first bad variable. */
export function loadConfig(env: Environment): AppConfig {
  const jwtIssuer = text(env, 'JWT_ISSUER', 'auth-service');
  const pushOrigins = origins(env, 'SSF_PUSH_ALLOWED_ORIGINS').filter((origin) => origin !== '*');
  const accessTokenTtlMs = duration(env, 'ACCESS_TOKEN_TTL', '15m');
  const config: AppConfig = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: text(env, 'DATA_DIR', './data'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: text(env, 'REDIS_KEY_PREFIX', 'auth:'),
    redisTlsCaPem: certificateFile(env, 'REDIS_TLS_CA_FILE'),
    jwtIssuer,
    publicBaseUrl: publicBaseUrl(env, jwtIssuer),
    jwtAudience: text(env, 'JWT_AUDIENCE', 'auth-service'),
    jwtPrivateKeyPem: privateKey(env, 'JWT_PRIVATE_KEY'),
    jwtPreviousPublicKeyPem: publicKey(env, 'JWT_PREVIOUS_PUBLIC_KEY'),
    accessTokenTtlMs,
    refreshTokenTtlMs: duration(env, 'REFRESH_TOKEN_TTL', '30d'),
    sessionIdleTimeoutMs: duration(env, 'SESSION_IDLE_TIMEOUT', '7d'),
    logoutRateLimit: integer(env, 'LOGOUT_RATE_LIMIT', 20, 1, 1_000_000),
    logoutRateWindowMs: duration(env, 'LOGOUT_RATE_WINDOW', '5m'),
    loginRateLimit: integer(env, 'LOGIN_RATE_LIMIT', 10, 1, 1_000_000),
    loginRateWindowMs: duration(env, 'LOGIN_RATE_WINDOW', '15m'),
    registrationRateLimit: integer(env, 'REGISTRATION_RATE_LIMIT', 10, 1, 1_000_000),
    refreshTokenReuseIntervalMs: duration(env, 'REFRESH_TOKEN_REUSE_INTERVAL', '10s', true),
    accessTokenRevocationCheck: boolean(env, 'ACCESS_TOKEN_REVOCATION_CHECK', true),
    serviceClients: serviceClients(env, pushOrigins),
    bootstrapAdmin: bootstrapAdmin(env),
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    logLevel: logLevel(env, 'LOG_LEVEL'),
    clientTokenTtlMs: duration(env, 'CLIENT_TOKEN_TTL', `${accessTokenTtlMs}ms`),
    ssfPushAllowedOrigins: pushOrigins,
    ssfPollTimeoutMs: duration(env, 'SSF_POLL_TIMEOUT', '25s'),
    ssfUndeliveredRetentionMs: duration(env, 'SSF_UNDELIVERED_RETENTION', '7d'),
    ssfPushConcurrency: integer(env, 'SSF_PUSH_CONCURRENCY', 4, 1, 64),
    ssfPushMaxBackoffMs: duration(env, 'SSF_PUSH_MAX_BACKOFF', '5m'),
    auditRetentionMs: duration(env, 'AUDIT_RETENTION', '400d'),
    adminStepUpMaxAgeMs: duration(env, 'ADMIN_STEP_UP_MAX_AGE', '5m'),
  };
  if (config.redisTlsCaPem && !config.redisUrl?.startsWith('rediss:')) {
    throw new ConfigError('REDIS_TLS_CA_FILE', 'needs a rediss:// REDIS_URL');
  }
  if (config.accessTokenTtlMs < 1_000) {
    throw new ConfigError('ACCESS_TOKEN_TTL', 'must be at least 1s');
  }
  // The one access-token verifier refuses lifetimes longer than ACCESS_TOKEN_TTL.
  if (config.clientTokenTtlMs < 1_000 || config.clientTokenTtlMs > config.accessTokenTtlMs) {
    throw new ConfigError('CLIENT_TOKEN_TTL', 'must be from 1s to ACCESS_TOKEN_TTL');
  }
  if (config.ssfPollTimeoutMs > 120_000) {
    throw new ConfigError('SSF_POLL_TIMEOUT', 'must be at most 120s');
  }
  if (config.ssfUndeliveredRetentionMs < config.accessTokenTtlMs) {
    throw new ConfigError('SSF_UNDELIVERED_RETENTION', 'must be at least ACCESS_TOKEN_TTL');
  }
  return Object.freeze(config);
}

/** The one place that reads the process environment. */
export function readProcessEnvironment(): Environment {
  return process.env;
}
