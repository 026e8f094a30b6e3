import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomUUID,
} from 'node:crypto';
import { decode, type JwtPayload, sign } from 'jsonwebtoken';
import request from 'supertest';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { expectContractError } from '../utils/contract-error';
import { registerAndLogin } from '../factories/user.factory';

interface ServiceKey {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** The service's own signing key, read where it keeps it (there is no JWKS endpoint yet). */
async function serviceKey(t: TestApp): Promise<ServiceKey> {
  const rows: { kid: string; private_key_pem: string }[] = await t.dataSource.query(
    'SELECT kid, private_key_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1',
  );
  expect(rows).toHaveLength(1);
  const publicKeyPem = createPublicKey(createPrivateKey(rows[0].private_key_pem))
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { kid: rows[0].kid, privateKeyPem: rows[0].private_key_pem, publicKeyPem };
}

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWT attacks on GET /auth/me', () => {
  let t: TestApp;
  let key: ServiceKey;
  /** The claims of a real access token of a live session: every forgery starts from these. */
  let claims: JwtPayload;
  let realToken: string;
  let otherUserId: string;
  let otherSessionId: string;

  const now = (): number => Math.floor(Date.now() / 1000);

  /** Signs `overrides` over the real claims with the service's real key, exactly as the service does. */
  const signWithServiceKey = (
    overrides: JwtPayload = {},
    header: Record<string, unknown> = {},
  ): string =>
    sign({ ...claims, iat: now(), exp: now() + 900, ...overrides }, key.privateKeyPem, {
      algorithm: 'ES256',
      keyid: key.kid,
      header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...header },
    });

  const me = (authorization?: string): request.Test => {
    const call = request(t.app.getHttpServer()).get('/auth/me');
    return authorization === undefined ? call : call.set('Authorization', authorization);
  };

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    const victim = await registerAndLogin(t.app);
    const other = await registerAndLogin(t.app);
    realToken = victim.tokens.accessToken;
    claims = decode(realToken) as JwtPayload;
    otherUserId = other.user.id;
    otherSessionId = (decode(other.tokens.accessToken) as JwtPayload).sid as string;
    key = await serviceKey(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('positive controls', () => {
    it('accepts the token the service issued', async () => {
      const response = await me(`Bearer ${realToken}`).expect(200);
      expect((response.body as { id: string }).id).toBe(claims.sub);
    });

    it('accepts a token re-signed with the real key and the real claims (the forger below works)', async () => {
      const response = await me(`Bearer ${signWithServiceKey()}`).expect(200);
      expect(response.body).toEqual(
        expect.objectContaining({ id: claims.sub, sessionId: claims.sid }),
      );
    });
  });

  const attacks: [string, () => string][] = [
    [
      'alg "none" with no signature',
      () =>
        `${base64url({ alg: 'none', typ: 'JWT', kid: key.kid })}.${base64url({
          ...claims,
          iat: now(),
          exp: now() + 900,
        })}.`,
    ],
    [
      'alg "none" produced by jsonwebtoken',
      () =>
        sign({ ...claims, iat: now(), exp: now() + 900 }, null as unknown as string, {
          algorithm: 'none',
          keyid: key.kid,
        }),
    ],
    [
      'HS256 keyed with the public key PEM (algorithm confusion)',
      () =>
        sign(
          { ...claims, iat: now(), exp: now() + 900 },
          createSecretKey(Buffer.from(key.publicKeyPem)),
          { algorithm: 'HS256', keyid: key.kid },
        ),
    ],
    ['a wrong iss', () => signWithServiceKey({ iss: 'https://evil.example' })],
    ['a wrong aud', () => signWithServiceKey({ aud: 'some-other-service' })],
    [
      'an unknown kid (a fresh ES256 key)',
      () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        return sign({ ...claims, iat: now(), exp: now() + 900 }, privateKey, {
          algorithm: 'ES256',
          keyid: randomUUID(),
        });
      },
    ],
    [
      'a fresh ES256 key claiming the real kid',
      () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
        return sign({ ...claims, iat: now(), exp: now() + 900 }, privateKey, {
          algorithm: 'ES256',
          keyid: key.kid,
        });
      },
    ],
    [
      'no kid at all',
      () =>
        sign({ ...claims, iat: now(), exp: now() + 900 }, key.privateKeyPem, {
          algorithm: 'ES256',
        }),
    ],
    ['an exp in the past', () => signWithServiceKey({ iat: now() - 960, exp: now() - 60 })],
    [
      'a tampered payload (sub of another user, signature kept)',
      () => {
        const [header, , signature] = realToken.split('.');
        return `${header}.${base64url({ ...claims, sub: otherUserId })}.${signature}`;
      },
    ],
    ['a truncated signature', () => realToken.slice(0, -4)],
    ['garbage', () => 'not.a.jwt'],
    ['typ "JWT" (not an access token)', () => signWithServiceKey({}, { typ: 'JWT' })],
    ['no typ', () => signWithServiceKey({}, { typ: undefined })],
    ['typ of a security event token', () => signWithServiceKey({}, { typ: 'secevent+jwt' })],
    [
      'a crit header the service does not understand',
      () => signWithServiceKey({}, { crit: ['exp'] }),
    ],
    [
      'an iat in the future',
      () => signWithServiceKey({ iat: now() + 3600, exp: now() + 3600 + 60 }),
    ],
    ['a lifetime longer than the configured one', () => signWithServiceKey({ exp: now() + 901 })],
    [
      'a session this deployment never issued (random sid)',
      () => signWithServiceKey({ sid: randomUUID() }),
    ],
    [
      'a session of another user (sid of another user, sub kept)',
      () => signWithServiceKey({ sid: otherSessionId }),
    ],
    [
      'a payload that is not JSON (header with typ)',
      () => 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IngifQ.bm90IGpzb24.AAAA',
    ],
    [
      "a payload that is not JSON, with this service's kid and typ",
      () =>
        `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })).toString('base64url')}.bm90IGpzb24.AAAA`,
    ],
  ];

  it('forges what each attack claims (so the refusals below are about the attack)', () => {
    const forged = Object.fromEntries(attacks.map(([name, forge]) => [name, forge()]));
    const header = (name: string) => decode(forged[name], { complete: true })?.header;
    expect(header('alg "none" produced by jsonwebtoken')).toEqual(
      expect.objectContaining({ alg: 'none', kid: key.kid }),
    );
    expect(forged['alg "none" produced by jsonwebtoken'].endsWith('.')).toBe(true);
    expect(header('HS256 keyed with the public key PEM (algorithm confusion)')).toEqual(
      expect.objectContaining({ alg: 'HS256', kid: key.kid }),
    );
    expect(header('a fresh ES256 key claiming the real kid')).toEqual(
      expect.objectContaining({ alg: 'ES256', kid: key.kid }),
    );
    expect(decode(forged['a tampered payload (sub of another user, signature kept)'])).toEqual(
      expect.objectContaining({ sub: otherUserId, sid: claims.sid }),
    );
    expect(otherUserId).not.toBe(claims.sub);
  });

  it.each(attacks)(
    'refuses %s with 401 and WWW-Authenticate error="invalid_token"',
    async (_attack, forge) => {
      const response = await me(`Bearer ${forge()}`);
      expectContractError(response, 401, 'invalid_token');
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    },
  );

  it.each([
    ['the token without the Bearer prefix', () => realToken],
    ['the token under the Basic scheme', () => `Basic ${realToken}`],
    ['"Bearer" with no token', () => 'Bearer '],
    ['the token followed by junk', () => `Bearer ${realToken} junk`],
    ['two tokens', () => `Bearer ${realToken} ${realToken}`],
  ])('refuses %s with 401 and error="invalid_token"', async (_case, header) => {
    const response = await me(header());
    expectContractError(response, 401, 'invalid_token');
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  describe("roles and sessions are this deployment's, not the token's", () => {
    const auditEvents = (authorization: string) =>
      request(t.app.getHttpServer()).get('/admin/audit-events').set('Authorization', authorization);

    it('refuses an admin token of a session this deployment never issued (a key shared elsewhere)', async () => {
      const forged = signWithServiceKey({ sid: randomUUID(), roles: ['admin'] });
      expectContractError(await auditEvents(`Bearer ${forged}`), 401, 'invalid_token');
      expectContractError(await me(`Bearer ${forged}`), 401, 'invalid_token');
    });

    it('judges admin power by the roles stored for the user, not the roles in the token', async () => {
      const forged = signWithServiceKey({ roles: ['admin'] });
      await me(`Bearer ${forged}`).expect(200);
      expectContractError(await auditEvents(`Bearer ${forged}`), 403, 'forbidden');
    });
  });

  it('answers a request without Authorization with 401 and a bare WWW-Authenticate: Bearer', async () => {
    const response = await me();
    expectContractError(response, 401, 'missing_token');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });
});
