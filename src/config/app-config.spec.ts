import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificates } from '../../test/utils/tls-servers';
import { loadConfig } from './app-config';
import { ConfigError } from './config.error';
import { parseDuration } from './duration';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

function pem(type: 'ec' | 'rsa', namedCurve = 'prime256v1'): string {
  const { privateKey } =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve })
      : generateKeyPairSync('rsa', { modulusLength: 1024 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The ConfigError `loadConfig` throws for `env`; fails the test when it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toEqual(
      expect.objectContaining({
        port: 3000,
        databaseUrl: undefined,
        dataDir: './data',
        redisUrl: undefined,
        jwtIssuer: 'auth-service',
        jwtAudience: 'auth-service',
        jwtPrivateKeyPem: undefined,
        accessTokenTtlMs: 15 * MINUTE,
        refreshTokenTtlMs: 30 * DAY,
        sessionIdleTimeoutMs: 7 * DAY,
        logoutRateLimit: 20,
        logoutRateWindowMs: 5 * MINUTE,
        refreshTokenReuseIntervalMs: 10 * SECOND,
        accessTokenRevocationCheck: true,
        serviceClients: [],
        bootstrapAdmin: undefined,
        trustProxy: false,
      }),
    );
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({ PORT: '', ACCESS_TOKEN_TTL: '  ', DATABASE_URL: '' });
    expect(config.port).toBe(3000);
    expect(config.accessTokenTtlMs).toBe(15 * MINUTE);
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads every variable', () => {
    const key = pem('ec');
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://user:pw@db:5432/auth',
      DATA_DIR: '/var/lib/auth',
      REDIS_URL: 'rediss://cache:6380',
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'api',
      JWT_PRIVATE_KEY: key,
      ACCESS_TOKEN_TTL: '90s',
      REFRESH_TOKEN_TTL: '12h',
      SESSION_IDLE_TIMEOUT: '30m',
      LOGOUT_RATE_LIMIT: '5',
      LOGOUT_RATE_WINDOW: '1m',
      REFRESH_TOKEN_REUSE_INTERVAL: '0s',
      ACCESS_TOKEN_REVOCATION_CHECK: 'false',
      SERVICE_CLIENTS: 'billing:0123456789abcdef, search : fedcba9876543210:x',
      BOOTSTRAP_ADMIN_EMAIL: 'Admin@Example.test',
      BOOTSTRAP_ADMIN_PASSWORD: 'admin password',
      TRUST_PROXY: '1',
    });
    expect(config).toEqual(
      expect.objectContaining({
        port: 8080,
        databaseUrl: 'postgresql://user:pw@db:5432/auth',
        dataDir: '/var/lib/auth',
        redisUrl: 'rediss://cache:6380',
        jwtIssuer: 'https://auth.example',
        jwtAudience: 'api',
        jwtPrivateKeyPem: key.trim(),
        accessTokenTtlMs: 90 * SECOND,
        refreshTokenTtlMs: 12 * 60 * MINUTE,
        sessionIdleTimeoutMs: 30 * MINUTE,
        logoutRateLimit: 5,
        logoutRateWindowMs: MINUTE,
        refreshTokenReuseIntervalMs: 0,
        accessTokenRevocationCheck: false,
        serviceClients: [
          { id: 'billing', secret: '0123456789abcdef' },
          { id: 'search', secret: 'fedcba9876543210:x' },
        ],
        bootstrapAdmin: { email: 'admin@example.test', password: 'admin password' },
        trustProxy: 1,
      }),
    );
  });

  it.each([
    ['false', false],
    ['true', 1],
    ['2', 2],
    ['10.0.0.0/8, 192.168.1.7,fd00::/8', ['10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
  ])('reads TRUST_PROXY=%p as %p (never "every hop")', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('accepts a PEM whose newlines arrive as literal \\n escapes', () => {
    const key = pem('ec');
    const loaded = loadConfig({ JWT_PRIVATE_KEY: key.replace(/\n/g, '\\n') }).jwtPrivateKeyPem;
    expect(loaded).not.toContain('\\n');
    expect(loaded?.trim()).toBe(key.trim());
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('reads the boolean %p as %p', (raw, expected) => {
    expect(loadConfig({ ACCESS_TOKEN_REVOCATION_CHECK: raw }).accessTokenRevocationCheck).toBe(
      expected,
    );
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://db/auth'],
    ['REDIS_URL', 'http://cache:6379'],
    ['JWT_PRIVATE_KEY', 'not a key'],
    ['ACCESS_TOKEN_TTL', '15 minutes'],
    ['ACCESS_TOKEN_TTL', '0s'],
    ['ACCESS_TOKEN_TTL', '500ms'],
    ['ACCESS_TOKEN_TTL', '-5m'],
    ['REFRESH_TOKEN_TTL', '30'],
    ['REFRESH_TOKEN_TTL', '1.5d'],
    ['SESSION_IDLE_TIMEOUT', '0d'],
    ['SESSION_IDLE_TIMEOUT', '7D'],
    ['LOGOUT_RATE_LIMIT', '0'],
    ['LOGOUT_RATE_LIMIT', 'twenty'],
    ['LOGOUT_RATE_WINDOW', '0m'],
    ['LOGOUT_RATE_WINDOW', '5 m'],
    ['REFRESH_TOKEN_REUSE_INTERVAL', 'ten seconds'],
    ['ACCESS_TOKEN_REVOCATION_CHECK', 'yes'],
    ['TRUST_PROXY', 'maybe'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '10.0.0.1,proxy.internal'],
    ['SERVICE_CLIENTS', 'no-separator-here'],
    ['SERVICE_CLIENTS', 'billing:short'],
    ['SERVICE_CLIENTS', ':0123456789abcdef'],
    ['SERVICE_CLIENTS', 'billing:0123456789abcdef,'],
    ['SERVICE_CLIENTS', 'billing:0123456789abcdef,billing:fedcba9876543210'],
    ['SERVICE_CLIENTS', '[{"client_id":"billing"'],
    ['SERVICE_CLIENTS', '[{"client_id":"billing","client_secret":"short"}]'],
    ['SERVICE_CLIENTS', '[{"client_id":"bil ling","client_secret":"0123456789abcdef"}]'],
    ['SERVICE_CLIENTS', '[{"client_id":"billing","client_secret":"0123456789abcdef","colour":1}]'],
    [
      'SERVICE_CLIENTS',
      '[{"client_id":"billing","client_secret":"0123456789abcdef","audiences":[]}]',
    ],
    [
      'SERVICE_CLIENTS',
      '[{"client_id":"billing","client_secret":"0123456789abcdef","backchannel_logout_uri":"http://billing/bcl"}]',
    ],
    [
      'SERVICE_CLIENTS',
      '[{"client_id":"a","client_secret":"0123456789abcdef"},{"client_id":"a","client_secret":"fedcba9876543210"}]',
    ],
    ['SERVICE_CLIENTS_FILE', '/nonexistent/clients.json'],
    ['CLIENT_TOKEN_TTL', '16m'],
    ['CLIENT_TOKEN_TTL', '0s'],
    ['SSF_PUSH_ALLOWED_ORIGINS', 'http://receiver:8080/path'],
    ['SSF_POLL_TIMEOUT', '5m'],
    ['SSF_UNDELIVERED_RETENTION', '1m'],
    ['SSF_PUSH_CONCURRENCY', '0'],
    ['SSF_PUSH_MAX_BACKOFF', 'soon'],
  ])('rejects %s=%p with a ConfigError naming it on one line', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['an RSA key', () => pem('rsa')],
    ['a P-384 key', () => pem('ec', 'secp384r1')],
    [
      'a public key',
      () =>
        generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          .publicKey.export({ format: 'pem', type: 'spki' })
          .toString(),
    ],
  ])('rejects %s as JWT_PRIVATE_KEY', (_case, key) => {
    const error = configError({ JWT_PRIVATE_KEY: key() });
    expect(error.variable).toBe('JWT_PRIVATE_KEY');
    // Never echoes the key material.
    expect(error.message).not.toContain('BEGIN');
  });

  it('reads service clients in the JSON form, from the variable and from a file, beside id:secret', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clients-')), 'clients.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          client_id: 'legacy',
          client_secret: 'legacy-secret-0123456789',
          backchannel_logout_uri: 'http://10.0.0.7:8080/logout',
        },
      ]),
    );
    const config = loadConfig({
      SERVICE_CLIENTS: JSON.stringify([
        { client_id: 'orders', client_secret: 'orders-secret-0123456789', audiences: ['a', 'b'] },
      ]),
      SERVICE_CLIENTS_FILE: file,
      SSF_PUSH_ALLOWED_ORIGINS: 'http://10.0.0.7:8080',
    });
    expect(config.serviceClients).toEqual([
      { id: 'orders', secret: 'orders-secret-0123456789', audiences: ['a', 'b'] },
      {
        id: 'legacy',
        secret: 'legacy-secret-0123456789',
        backchannelLogoutUri: 'http://10.0.0.7:8080/logout',
      },
    ]);
    expect(config.ssfPushAllowedOrigins).toEqual(['http://10.0.0.7:8080']);
    expect(loadConfig({}).clientTokenTtlMs).toBe(15 * MINUTE);
  });

  it('names BOOTSTRAP_ADMIN_EMAIL when only the password is set, or the email is malformed', () => {
    expect(configError({ BOOTSTRAP_ADMIN_PASSWORD: 'admin password' }).variable).toBe(
      'BOOTSTRAP_ADMIN_EMAIL',
    );
    expect(
      configError({ BOOTSTRAP_ADMIN_EMAIL: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'admin password' })
        .variable,
    ).toBe('BOOTSTRAP_ADMIN_EMAIL');
  });

  it('names BOOTSTRAP_ADMIN_PASSWORD when it is missing, too short or too long', () => {
    for (const password of [undefined, '1234567', 'p'.repeat(129)]) {
      const env: Record<string, string> = { BOOTSTRAP_ADMIN_EMAIL: 'admin@example.test' };
      if (password !== undefined) env.BOOTSTRAP_ADMIN_PASSWORD = password;
      const error = configError(env);
      expect(error.variable).toBe('BOOTSTRAP_ADMIN_PASSWORD');
      expect(error.message).not.toContain(password ?? 'undefined');
    }
  });

  describe('REDIS_TLS_CA_FILE', () => {
    let dir: string;
    let caFile: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'auth-config-ca-'));
      caFile = createCertificates(dir).caFile;
      writeFileSync(join(dir, 'key.pem'), pem('ec'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the CA certificates for a rediss:// Redis', () => {
      const config = loadConfig({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: caFile });
      expect(config.redisTlsCaPem).toBe(readFileSync(caFile, 'utf8'));
    });

    it.each([
      ['a missing file', () => ({ REDIS_URL: 'rediss://c', REDIS_TLS_CA_FILE: join(dir, 'none') })],
      [
        'a file without a certificate',
        () => ({ REDIS_URL: 'rediss://c', REDIS_TLS_CA_FILE: join(dir, 'key.pem') }),
      ],
      ['a Redis without TLS', () => ({ REDIS_URL: 'redis://c', REDIS_TLS_CA_FILE: caFile })],
    ])('names the variable for %s', (_name, env) => {
      expect(configError(env()).variable).toBe('REDIS_TLS_CA_FILE');
    });
  });

  it('login and registration limits: documented defaults, bounded values', () => {
    expect(loadConfig({})).toEqual(
      expect.objectContaining({
        loginRateLimit: 10,
        loginRateWindowMs: 15 * MINUTE,
        registrationRateLimit: 10,
      }),
    );
    expect(loadConfig({ LOGIN_RATE_LIMIT: '5', LOGIN_RATE_WINDOW: '1h' })).toEqual(
      expect.objectContaining({ loginRateLimit: 5, loginRateWindowMs: 60 * MINUTE }),
    );
    expect(configError({ LOGIN_RATE_LIMIT: '0' }).message).toMatch(/LOGIN_RATE_LIMIT/);
    expect(configError({ LOGIN_RATE_WINDOW: 'soon' }).message).toMatch(/LOGIN_RATE_WINDOW/);
    expect(configError({ REGISTRATION_RATE_LIMIT: '-1' }).message).toMatch(
      /REGISTRATION_RATE_LIMIT/,
    );
  });

  it('takes the public base URL from PUBLIC_URL, else from an issuer that is a URL, else none', () => {
    expect(loadConfig({}).publicBaseUrl).toBeUndefined();
    expect(loadConfig({ JWT_ISSUER: 'urn:example:auth' }).publicBaseUrl).toBeUndefined();
    expect(loadConfig({ JWT_ISSUER: 'https://id.example.com/' }).publicBaseUrl).toBe(
      'https://id.example.com',
    );
    expect(
      loadConfig({ JWT_ISSUER: 'https://id.example.com', PUBLIC_URL: 'https://a.example/auth/' })
        .publicBaseUrl,
    ).toBe('https://a.example/auth');
    for (const bad of [
      'ftp://a.example',
      'not a url',
      'https://a.example/?x=1',
      'https://u@a.example',
    ]) {
      expect(configError({ PUBLIC_URL: bad }).message).toMatch(/PUBLIC_URL/);
    }
  });

  it('does not echo service client secrets in its message', () => {
    const error = configError({
      SERVICE_CLIENTS: 'billing:0123456789abcdef,billing:secretsecretsecret',
    });
    expect(error.message).not.toContain('secretsecretsecret');
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90 * SECOND],
    ['15m', 15 * MINUTE],
    ['2h', 2 * 60 * MINUTE],
    ['7d', 7 * DAY],
    ['0s', 0],
    [' 15m ', 15 * MINUTE],
  ])('parses %p as %p ms', (raw, expected) => {
    expect(parseDuration(raw)).toBe(expected);
  });

  it.each(['', '15', 'm', '1.5h', '-1s', '15 m', '15M', '1w', '15mins', '1h30m'])(
    'refuses %p',
    (raw) => {
      expect(parseDuration(raw)).toBeUndefined();
    },
  );
});
