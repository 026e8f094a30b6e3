import { randomUUID } from 'node:crypto';
import { AuthClient } from '../src/core/auth-client';
import { type AuthClientError } from '../src/core/auth-client.error';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, FakeAuthService, ISSUER } from './fake-auth-service';

describe('AuthClient access-token verification', () => {
  let service: FakeAuthService;
  let client: AuthClient;

  beforeAll(async () => {
    service = await new FakeAuthService().start();
  });
  afterAll(() => service.stop());
  beforeEach(() => {
    // Signature checks alone: the stream's part is covered by the stream specs.
    client = new AuthClient({
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      serviceUrl: service.baseUrl,
      whenStale: 'trust-signature',
      jwksCooldownMs: 0,
    });
  });

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('accepted');
      },
      (error: AuthClientError) => error.code,
    );

  it('accepts a live access token and names its user, session and roles', async () => {
    const user = await client.authenticate(`Bearer ${await service.accessToken('s1')}`);
    expect(user).toEqual(
      expect.objectContaining({ userId: 'user-1', sessionId: 's1', roles: ['user'] }),
    );
  });

  it.each([
    ['a missing header', () => Promise.resolve(undefined)],
    ['another scheme', async () => `Basic ${await service.accessToken('s1')}`],
    ['a SET (typ secevent+jwt)', async () => `Bearer ${await service.sessionRevokedSet('s1')}`],
    [
      'a SET re-addressed to the access-token audience',
      async () =>
        `Bearer ${await service.sessionRevokedSet('s1', { aud: AUDIENCE, sub: 'user-1', sid: 's1', exp: 9e9 })}`,
    ],
    [
      'a logout token (typ logout+jwt)',
      async () => `Bearer ${await service.accessToken('s1', {}, { typ: 'logout+jwt' })}`,
    ],
    [
      'a token without typ',
      async () => `Bearer ${await service.accessToken('s1', {}, { typ: 'JWT' })}`,
    ],
    ['a wrong issuer', async () => `Bearer ${await service.accessToken('s1', { iss: 'evil' })}`],
    [
      'a wrong audience',
      async () => `Bearer ${await service.accessToken('s1', { aud: 'other-api' })}`,
    ],
    [
      'an expired token',
      async () => `Bearer ${await service.accessToken('s1', { iat: 1_000, exp: 2_000 })}`,
    ],
    [
      'a client-credentials token (no sid)',
      async () => `Bearer ${await service.accessToken('s1', { sid: undefined })}`,
    ],
    [
      'a token signed by an unknown key',
      async () => {
        const { privateKey } = await service.jose.generateKeyPair('ES256');
        const iat = Math.floor(Date.now() / 1000);
        return `Bearer ${await service.sign(
          { iss: ISSUER, aud: AUDIENCE, sub: 'u', sid: 's', iat, exp: iat + 60 },
          { typ: 'at+jwt', kid: randomUUID() },
          privateKey,
        )}`;
      },
    ],
    [
      'alg none',
      async () => {
        const payload = (await service.accessToken('s1')).split('.')[1];
        const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString(
          'base64url',
        );
        return `Bearer ${none}.${payload}.`;
      },
    ],
    [
      'HS256 with the public key as secret',
      async () => {
        const iat = Math.floor(Date.now() / 1000);
        const jwk = (await (await fetch(`${service.baseUrl}/.well-known/jwks.json`)).json()) as {
          keys: object[];
        };
        return `Bearer ${await new service.jose.SignJWT({
          iss: ISSUER,
          aud: AUDIENCE,
          sub: 'u',
          sid: 's',
          iat,
          exp: iat + 60,
        })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .sign(Buffer.from(JSON.stringify(jwk.keys[0])))}`;
      },
    ],
  ])('refuses %s as invalid_token', async (_case, header) => {
    expect(await refusal(client.authenticate(await header()))).toBe('invalid_token');
  });

  it('follows a key rotation: a token of a new kid is verified after the JWKS is refetched', async () => {
    await client.authenticate(`Bearer ${await service.accessToken('s1')}`);
    await service.rotateKey(true);
    const user = await client.authenticate(`Bearer ${await service.accessToken('s2')}`);
    expect(user.sessionId).toBe('s2');
  });

  it('says verification_unavailable, not invalid_token, when the keys cannot be fetched', async () => {
    const offline = new AuthClient({
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      serviceUrl: 'http://127.0.0.1:9', // discard port: nothing listens
    });
    expect(await refusal(offline.authenticate(`Bearer ${await service.accessToken('s1')}`))).toBe(
      'verification_unavailable',
    );
  });
});
