import { createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import request from 'supertest';
import { type App } from 'supertest/types';
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import type { JWK } from 'jose' with { 'resolution-mode': 'import' };
import type * as OpenIdClientModule from 'openid-client' with { 'resolution-mode': 'import' };
import type { Configuration } from 'openid-client' with { 'resolution-mode': 'import' };
import { type LoggedIn, login, registerUser, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { signWithServiceKey } from '../utils/service-token';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/**
 * The endpoints other microservices use, exercised with the libraries those services would
 * use: `jose` verifies access tokens against the JWKS, `openid-client` discovers the service
 * and calls introspection (RFC 7662) and revocation (RFC 7009) with client_secret_basic.
 * Both are ESM-only, hence `await import(...)` (tsconfig `module: node16` keeps it native).
 */
type Jose = typeof JoseModule;
type OpenIdClient = typeof OpenIdClientModule;

const AUDIENCE = 'platform-services';
const BILLING = { id: 'billing', secret: 'billing-secret-0123456789' };
/** Characters that form-encoding changes: clients that do and do not form-encode must both work. */
const REPORTS = { id: 'reports', secret: 'reports+secret/with%sp=chars' };
const SERVICE_CLIENTS = [BILLING, REPORTS].map((c) => `${c.id}:${c.secret}`).join(',');
const NOW = (): number => Math.floor(Date.now() / 1000);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A port nobody listens on right now, so the issuer URL can be fixed before the app boots. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

interface LiveApp {
  t: TestApp;
  issuer: string;
  server: App;
}

/** Boots the app on a real port whose URL is its issuer, as openid-client's discovery requires. */
async function startLiveApp(
  port: number,
  env: Record<string, string | undefined> = {},
  database?: TestDatabase,
): Promise<LiveApp> {
  const issuer = `http://127.0.0.1:${port}`;
  const t = await createTestApp({
    database,
    env: { JWT_ISSUER: issuer, JWT_AUDIENCE: AUDIENCE, SERVICE_CLIENTS, ...env },
  });
  try {
    await t.app.listen(port, '127.0.0.1');
  } catch (error) {
    await t.close();
    throw error;
  }
  expect((t.app.getHttpServer().address() as AddressInfo).port).toBe(port);
  return { t, issuer, server: t.app.getHttpServer() as App };
}

function p256KeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const me = (server: App, token: string) =>
  request(server).get('/auth/me').set('Authorization', `Bearer ${token}`);

const refresh = (server: App, session: LoggedIn) =>
  request(server).post('/auth/refresh').send({ refreshToken: session.refreshToken });

/** An OAuth endpoint called by hand, HTTP Basic as `curl -u id:secret` sends it (not form-encoded). */
const oauthCall = (
  server: App,
  path: '/oauth/introspect' | '/oauth/revoke',
  form: Record<string, string>,
  client: { id: string; secret: string } | null = BILLING,
) => {
  const call = request(server).post(path).type('form');
  if (client) call.auth(client.id, client.secret);
  return call.send(form);
};

const jwtHeader = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

describe('OAuth endpoints for other microservices', () => {
  let jose: Jose;
  let oidc: OpenIdClient;
  let live: LiveApp;
  let server: App;
  /** openid-client configurations of the two service clients, from discovery. */
  let billing: Configuration;
  let reports: Configuration;

  const discover = (issuer: string, client: { id: string; secret: string }) =>
    oidc.discovery(
      new URL(issuer),
      client.id,
      client.secret,
      oidc.ClientSecretBasic(client.secret),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );

  beforeAll(async () => {
    jose = await import('jose');
    oidc = await import('openid-client');
    live = await startLiveApp(await freePort());
    server = live.server;
    [billing, reports] = await Promise.all([
      discover(live.issuer, BILLING),
      discover(live.issuer, REPORTS),
    ]);
  });
  afterAll(() => live?.t.close());

  describe('GET /.well-known/jwks.json', () => {
    it('publishes the public signing key only: kid, ES256, use sig, EC P-256, no private members', async () => {
      const response = await request(server).get('/.well-known/jwks.json').expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const { keys } = response.body as { keys: Record<string, unknown>[] };
      expect(keys).toHaveLength(1);
      for (const key of keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
        expect(key).toEqual(
          expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }),
        );
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
          expect(key).not.toHaveProperty(member);
        // The kid is the RFC 7638 thumbprint, as any consumer can recompute it.
        expect(key.kid).toBe(await jose.calculateJwkThumbprint(key as JWK));
      }
    });

    it('an access token from /auth/login verifies with jose against the remote JWKS and has the contract’s claims', async () => {
      const [session] = await userWithSessions(server, 1);
      const jwks = jose.createRemoteJWKSet(new URL(`${live.issuer}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jose.jwtVerify(session.accessToken, jwks, {
        issuer: live.issuer,
        audience: AUDIENCE,
        algorithms: ['ES256'],
        typ: 'at+jwt',
      });
      const { keys } = (await request(server).get('/.well-known/jwks.json')).body as {
        keys: { kid: string }[];
      };
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: keys[0].kid, typ: 'at+jwt' });
      expect(Object.keys(payload).sort()).toEqual(
        ['aud', 'auth_time', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'].sort(),
      );
      expect(payload).toEqual({
        iss: live.issuer,
        aud: AUDIENCE,
        sub: session.userId,
        sid: session.sessionId,
        jti: expect.stringMatching(UUID),
        iat: expect.any(Number),
        exp: (payload.iat ?? 0) + 900,
        auth_time: expect.any(Number),
        roles: [],
      });
      expect(Math.abs((payload.iat ?? 0) - NOW())).toBeLessThan(60);
      expect(payload.auth_time).toBeLessThanOrEqual(payload.iat ?? 0);

      // The same JWKS refuses what the service would refuse: a wrong audience.
      await expect(
        jose.jwtVerify(session.accessToken, jwks, {
          issuer: live.issuer,
          audience: 'someone-else',
          algorithms: ['ES256'],
        }),
      ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    });
  });

  describe('GET /.well-known/openid-configuration (openid-client discovery)', () => {
    it('names the issuer, the JWKS and the introspection and revocation endpoints with client_secret_basic', () => {
      const metadata = billing.serverMetadata();
      expect(metadata.issuer).toBe(live.issuer);
      expect(metadata.jwks_uri).toBe(`${live.issuer}/.well-known/jwks.json`);
      expect(metadata.introspection_endpoint).toBe(`${live.issuer}/oauth/introspect`);
      expect(metadata.revocation_endpoint).toBe(`${live.issuer}/oauth/revoke`);
      expect(metadata.introspection_endpoint_auth_methods_supported).toContain(
        'client_secret_basic',
      );
      expect(metadata.revocation_endpoint_auth_methods_supported).toContain('client_secret_basic');
      expect(billing.clientMetadata().client_id).toBe(BILLING.id);
      // The client-credentials grant for service clients, and nothing it does not serve (no ID tokens).
      expect(metadata.token_endpoint).toBe(`${live.issuer}/oauth/token`);
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic']);
      expect(metadata.grant_types_supported).toEqual(['client_credentials']);
      expect(metadata.id_token_signing_alg_values_supported).toBeUndefined();
      // Back-Channel Logout 1.0 §2.1, and this service's pointer to its SSF metadata.
      expect(metadata.backchannel_logout_supported).toBe(true);
      expect(metadata.backchannel_logout_session_supported).toBe(true);
      expect(metadata.ssf_configuration_uri).toBe(`${live.issuer}/.well-known/ssf-configuration`);
    });

    it('points to SSF transmitter metadata of the same issuer', async () => {
      const pointer = billing.serverMetadata().ssf_configuration_uri as string;
      const ssf = await request(server).get(new URL(pointer).pathname).expect(200);
      expect(ssf.body).toMatchObject({
        issuer: live.issuer,
        jwks_uri: `${live.issuer}/.well-known/jwks.json`,
      });
    });

    it('does not take its endpoints from the Host header (a poisoned cache would send consumers to another JWKS)', async () => {
      const response = await request(server)
        .get('/.well-known/openid-configuration')
        .set('Host', 'evil.example')
        .expect(200);
      const body = response.body as Record<string, string>;
      expect(body.issuer).toBe(live.issuer);
      for (const endpoint of [
        'jwks_uri',
        'token_endpoint',
        'introspection_endpoint',
        'revocation_endpoint',
        'ssf_configuration_uri',
      ]) {
        expect(body[endpoint].startsWith(`${live.issuer}/`)).toBe(true);
      }
    });
  });

  describe('POST /oauth/introspect (openid-client tokenIntrospection)', () => {
    /** A user with a role, so that `roles` is asserted with something in it. */
    async function sessionWithRole(role: string): Promise<LoggedIn> {
      const user = await registerUser(server);
      await live.t.dataSource.query('UPDATE users SET roles = $2 WHERE id = $1', [
        user.userId,
        [role],
      ]);
      return login(server, user);
    }

    it('reports a live access token active with exactly the contract’s members', async () => {
      const session = await sessionWithRole('invoices:read');
      const result = await oidc.tokenIntrospection(billing, session.accessToken);
      const claims = jose.decodeJwt(session.accessToken);
      expect(result).toEqual({
        active: true,
        token_type: 'access_token',
        sub: session.userId,
        sid: session.sessionId,
        jti: claims.jti,
        exp: claims.exp,
        iat: claims.iat,
        iss: live.issuer,
        aud: AUDIENCE,
        roles: ['invoices:read'],
      });
      // The hint only orders the search: a wrong one still finds the token.
      await expect(
        oidc.tokenIntrospection(reports, session.accessToken, { token_type_hint: 'refresh_token' }),
      ).resolves.toMatchObject({ active: true, token_type: 'access_token' });
    });

    it('reports a live refresh token active, as a refresh_token of its session, until its idle deadline', async () => {
      const session = await sessionWithRole('invoices:read');
      const result = await oidc.tokenIntrospection(billing, session.refreshToken, {
        token_type_hint: 'refresh_token',
      });
      expect(result).toEqual({
        active: true,
        token_type: 'refresh_token',
        sub: session.userId,
        sid: session.sessionId,
        iat: expect.any(Number),
        exp: expect.any(Number),
        iss: live.issuer,
        aud: AUDIENCE,
        roles: ['invoices:read'],
      });
      expect(Math.abs((result.iat ?? 0) - NOW())).toBeLessThan(60);
      // Unused, it dies of inactivity (SESSION_IDLE_TIMEOUT, 7 days) long before the
      // session's absolute expiry (REFRESH_TOKEN_TTL, 30 days).
      expect(Math.abs((result.exp ?? 0) - (result.iat ?? 0) - 7 * 86_400)).toBeLessThanOrEqual(1);
      await expect(oidc.tokenIntrospection(billing, session.refreshToken)).resolves.toMatchObject({
        active: true,
        token_type: 'refresh_token',
      });
    });

    it('reports inactive a well-signed token the service’s own guard refuses (claims of the wrong shape)', async () => {
      const [session] = await userWithSessions(server, 1);
      const sign = (claims: Record<string, unknown>) =>
        signWithServiceKey(
          live.t.dataSource,
          { sub: session.userId, sid: session.sessionId, ...claims },
          { issuer: live.issuer, audience: AUDIENCE },
        );
      // Control: the forger's well-formed token is accepted by both.
      const wellFormed = await sign({});
      await me(server, wellFormed).expect(200);
      await expect(oidc.tokenIntrospection(billing, wellFormed)).resolves.toMatchObject({
        active: true,
      });
      for (const claims of [
        { roles: 'admin' },
        { roles: [42] },
        { sid: 'not-a-session-id' },
        { sub: 'not-a-user-id' },
        { auth_time: 'yesterday' },
      ]) {
        const token = await sign(claims);
        await me(server, token).expect(401);
        await expect(oidc.tokenIntrospection(billing, token)).resolves.toEqual({ active: false });
      }
    });

    it('reports both tokens of a session inactive at once after a logout (scope local), nothing else', async () => {
      const [ended, other] = await userWithSessions(server, 2);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${ended.accessToken}`)
        .send({ scope: 'local' })
        .expect(200);
      await expect(oidc.tokenIntrospection(billing, ended.accessToken)).resolves.toEqual({
        active: false,
      });
      await expect(oidc.tokenIntrospection(billing, ended.refreshToken)).resolves.toEqual({
        active: false,
      });
      await expect(oidc.tokenIntrospection(billing, other.accessToken)).resolves.toMatchObject({
        active: true,
      });
      await expect(oidc.tokenIntrospection(billing, other.refreshToken)).resolves.toMatchObject({
        active: true,
      });
    });

    it('reports an expired access token inactive (and the same forger’s unexpired one active)', async () => {
      const [session] = await userWithSessions(server, 1);
      const forge = (expiresIn: number) =>
        signWithServiceKey(
          live.t.dataSource,
          { sub: session.userId, sid: session.sessionId },
          { issuer: live.issuer, audience: AUDIENCE, expiresIn },
        );
      await expect(oidc.tokenIntrospection(billing, await forge(900))).resolves.toMatchObject({
        active: true,
        sub: session.userId,
      });
      const expired = await forge(-60);
      expect(jose.decodeJwt(expired).exp).toBeLessThan(NOW());
      await expect(oidc.tokenIntrospection(billing, expired)).resolves.toEqual({ active: false });
      await me(server, expired).expect(401);
    });

    it('reports forged tokens inactive: a tampered payload, HS256 keyed with the public key', async () => {
      const [victim] = await userWithSessions(server, 1);
      const [other] = await userWithSessions(server, 1);
      const [header, payload, signature] = victim.accessToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const tampered = [
        header,
        Buffer.from(JSON.stringify({ ...claims, sub: other.userId, roles: ['admin'] })).toString(
          'base64url',
        ),
        signature,
      ].join('.');

      const { keys } = (await request(server).get('/.well-known/jwks.json')).body as {
        keys: JWK[];
      };
      // The public key PEM, as anyone can rebuild it from the JWKS.
      const publicKeyPem = createPublicKey({ key: keys[0], format: 'jwk' })
        .export({ format: 'pem', type: 'spki' })
        .toString();
      const hsInput = [
        Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: keys[0].kid })).toString(
          'base64url',
        ),
        payload,
      ].join('.');
      const confused = `${hsInput}.${createHmac('sha256', publicKeyPem).update(hsInput).digest('base64url')}`;
      expect(jwtHeader(confused)).toEqual({ alg: 'HS256', typ: 'JWT', kid: keys[0].kid });

      for (const forged of [tampered, confused]) {
        await expect(oidc.tokenIntrospection(billing, forged)).resolves.toEqual({ active: false });
        await me(server, forged).expect(401);
      }
      // Control: the victim's real token is live, so the refusals above are about the forgery.
      await expect(oidc.tokenIntrospection(billing, victim.accessToken)).resolves.toMatchObject({
        active: true,
      });
    });

    it('reports unknown garbage inactive', async () => {
      for (const garbage of [
        'not-a-token',
        randomBytes(32).toString('base64url'),
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'a.b.c',
      ]) {
        await expect(oidc.tokenIntrospection(billing, garbage)).resolves.toEqual({
          active: false,
        });
      }
    });

    it('reports a rotated-out (retired) refresh token inactive, its successor active', async () => {
      const [session] = await userWithSessions(server, 1);
      const rotated = await refresh(server, session).expect(200);
      const successor = (rotated.body as { refreshToken: string }).refreshToken;
      await expect(
        oidc.tokenIntrospection(billing, session.refreshToken, {
          token_type_hint: 'refresh_token',
        }),
      ).resolves.toEqual({ active: false });
      await expect(oidc.tokenIntrospection(billing, successor)).resolves.toMatchObject({
        active: true,
        token_type: 'refresh_token',
        sid: session.sessionId,
      });
    });

    it('answers with Cache-Control: no-store', async () => {
      const response = await oauthCall(server, '/oauth/introspect', { token: 'x' }).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({ active: false });
    });
  });

  describe('POST /oauth/revoke (openid-client tokenRevocation)', () => {
    const revokedAudit = (sessionId: string) =>
      live.t.dataSource.query<
        { outcome: string; subject_user_id: string; reason: string | null }[]
      >(
        `SELECT outcome, subject_user_id, reason FROM audit_events
         WHERE action = 'session_revoked' AND session_id = $1`,
        [sessionId],
      );

    it('revoking a refresh token ends its session, audited once', async () => {
      const [session, other] = await userWithSessions(server, 2);
      await oidc.tokenRevocation(billing, session.refreshToken, {
        token_type_hint: 'refresh_token',
      });
      await refresh(server, session).expect(401);
      await me(server, session.accessToken).expect(401);
      await expect(oidc.tokenIntrospection(billing, session.accessToken)).resolves.toEqual({
        active: false,
      });
      await me(server, other.accessToken).expect(200);

      // Idempotent: a second revocation succeeds and ends (and audits) nothing more.
      await oidc.tokenRevocation(billing, session.refreshToken);
      const audit = await revokedAudit(session.sessionId);
      expect(audit).toEqual([
        {
          outcome: 'success',
          subject_user_id: session.userId,
          reason: expect.stringContaining(BILLING.id),
        },
      ]);
      expect(await revokedAudit(other.sessionId)).toEqual([]);
    });

    it('revoking an access token ends its session too', async () => {
      const [session] = await userWithSessions(server, 1);
      await oidc.tokenRevocation(reports, session.accessToken);
      await me(server, session.accessToken).expect(401);
      await refresh(server, session).expect(401);
      await expect(oidc.tokenIntrospection(billing, session.refreshToken)).resolves.toEqual({
        active: false,
      });
      expect(await revokedAudit(session.sessionId)).toEqual([
        expect.objectContaining({ reason: expect.stringContaining(REPORTS.id) }),
      ]);
    });

    it('answers 200 for an unknown token', async () => {
      await expect(
        oidc.tokenRevocation(billing, randomBytes(32).toString('base64url')),
      ).resolves.toBeUndefined();
      const response = await oauthCall(server, '/oauth/revoke', { token: 'garbage' }).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('refuses an unsupported token_type_hint with 400 unsupported_token_type, revoking nothing', async () => {
      const [session] = await userWithSessions(server, 1);
      const response = await oauthCall(server, '/oauth/revoke', {
        token: session.accessToken,
        token_type_hint: 'id_token',
      }).expect(400);
      expect(response.body).toEqual(expect.objectContaining({ error: 'unsupported_token_type' }));
      await me(server, session.accessToken).expect(200);
    });
  });

  describe('service client authentication', () => {
    const expectInvalidClient = (response: request.Response) => {
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual(
        expect.objectContaining({ statusCode: 401, error: 'invalid_client' }),
      );
      expect(JSON.stringify(response.body)).not.toContain(BILLING.secret);
    };

    it.each([
      [
        'a wrong secret',
        `Basic ${Buffer.from(`billing:wrong-secret-0123456789`).toString('base64')}`,
      ],
      [
        'an unknown client id',
        `Basic ${Buffer.from(`nobody:${BILLING.secret}`).toString('base64')}`,
      ],
      ['no Authorization header', undefined],
      ['Basic that is not base64', 'Basic %%%not-base64%%%'],
      ['Basic without a colon', `Basic ${Buffer.from('billing').toString('base64')}`],
      ['Basic with an empty id', `Basic ${Buffer.from(`:${BILLING.secret}`).toString('base64')}`],
      ['a Bearer token instead of Basic', 'Bearer abc.def.ghi'],
    ])('refuses %s with 401 invalid_client and WWW-Authenticate: Basic', async (_name, header) => {
      const [session] = await userWithSessions(server, 1);
      for (const path of ['/oauth/introspect', '/oauth/revoke'] as const) {
        const call = request(server).post(path).type('form');
        if (header !== undefined) call.set('Authorization', header);
        expectInvalidClient(await call.send({ token: session.accessToken }));
      }
      // Nothing was revoked by the refused revocation.
      await me(server, session.accessToken).expect(200);
    });

    it('counts refused client authentication against the caller IP (guessing secrets is rate limited)', async () => {
      const wrong = `Basic ${Buffer.from('billing:still-the-wrong-secret').toString('base64')}`;
      const remaining: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await request(server)
          .post('/oauth/introspect')
          .type('form')
          .set('Authorization', wrong)
          .send({ token: 'anything' });
        expectInvalidClient(response);
        remaining.push(Number(response.headers['x-ratelimit-remaining']));
      }
      expect(remaining[1]).toBe(remaining[0] - 1);
      expect(remaining[2]).toBe(remaining[1] - 1);
    });

    it('refuses a wrong secret through openid-client too (the challenge surfaces as a 401)', async () => {
      const [session] = await userWithSessions(server, 1);
      const wrong = new oidc.Configuration(
        billing.serverMetadata(),
        BILLING.id,
        'wrong-secret-0123456789',
        oidc.ClientSecretBasic('wrong-secret-0123456789'),
      );
      oidc.allowInsecureRequests(wrong);
      await expect(oidc.tokenIntrospection(wrong, session.accessToken)).rejects.toMatchObject({
        status: 401,
      });
      await expect(oidc.tokenRevocation(wrong, session.accessToken)).rejects.toMatchObject({
        status: 401,
      });
      await me(server, session.accessToken).expect(200);
    });

    it('answers an unknown id exactly as a wrong secret (no client enumeration)', async () => {
      const wrongSecret = await oauthCall(
        server,
        '/oauth/introspect',
        { token: 'x' },
        {
          id: BILLING.id,
          secret: 'wrong-secret-0123456789',
        },
      );
      const unknownId = await oauthCall(
        server,
        '/oauth/introspect',
        { token: 'x' },
        {
          id: 'nobody',
          secret: BILLING.secret,
        },
      );
      expectInvalidClient(wrongSecret);
      expect(unknownId.status).toBe(wrongSecret.status);
      expect(unknownId.body).toEqual(wrongSecret.body);
      expect(unknownId.headers['www-authenticate']).toBe(wrongSecret.headers['www-authenticate']);
    });

    it('accepts a secret with reserved characters whether or not the client form-encoded it', async () => {
      const [session] = await userWithSessions(server, 1);
      // openid-client form-encodes id and secret (RFC 6749 §2.3.1) ...
      await expect(oidc.tokenIntrospection(reports, session.accessToken)).resolves.toMatchObject({
        active: true,
      });
      // ... `curl -u id:secret` and most HTTP clients do not.
      const raw = await oauthCall(
        server,
        '/oauth/introspect',
        { token: session.accessToken },
        REPORTS,
      );
      expect(raw.status).toBe(200);
      expect(raw.body).toMatchObject({ active: true, sub: session.userId });
    });

    it('refuses a JSON body with 415', async () => {
      const response = await request(server)
        .post('/oauth/introspect')
        .auth(BILLING.id, BILLING.secret)
        .send({ token: 'x' })
        .expect(415);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    });

    it('refuses a request without token with 400 invalid_request', async () => {
      for (const path of ['/oauth/introspect', '/oauth/revoke'] as const) {
        const response = await oauthCall(server, path, { token_type_hint: 'access_token' }).expect(
          400,
        );
        expect(response.body).toEqual(
          expect.objectContaining({ statusCode: 400, error: 'invalid_request' }),
        );
        expect(JSON.stringify(response.body)).toContain('token');
      }
    });
  });

  describe('rate limit per service client', () => {
    const remaining = async (client: { id: string; secret: string }): Promise<number> => {
      const response = await oauthCall(server, '/oauth/introspect', { token: 'x' }, client).expect(
        200,
      );
      expect(response.headers['x-ratelimit-limit']).toBe('6000');
      expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      return Number(response.headers['x-ratelimit-remaining']);
    };

    it('counts each client on its own: X-RateLimit-Remaining falls by one per call of that client only', async () => {
      const b1 = await remaining(BILLING);
      expect(b1).toBeLessThan(6000);
      expect(await remaining(BILLING)).toBe(b1 - 1);
      expect(await remaining(BILLING)).toBe(b1 - 2);
      const r1 = await remaining(REPORTS);
      expect(await remaining(REPORTS)).toBe(r1 - 1);
      // Reports' calls and refused ones cost billing nothing.
      await oauthCall(
        server,
        '/oauth/introspect',
        { token: 'x' },
        {
          id: BILLING.id,
          secret: 'wrong-secret-0123456789',
        },
      ).expect(401);
      expect(await remaining(BILLING)).toBe(b1 - 3);
      expect(await remaining(REPORTS)).toBe(r1 - 2);
    });
  });
});

describe('key rotation (JWT_PRIVATE_KEY, JWT_PREVIOUS_PUBLIC_KEY)', () => {
  let jose: Jose;
  let database: TestDatabase;
  let port: number;
  let running: LiveApp | undefined;
  const k1 = p256KeyPair();
  const k2 = p256KeyPair();

  /** One instance at a time on one database (embedded PGlite cannot be opened twice). */
  async function boot(env: Record<string, string>): Promise<LiveApp> {
    await running?.t.close();
    running = await startLiveApp(port, env, database);
    return running;
  }

  const jwks = async (app: LiveApp) =>
    (
      (await request(app.server).get('/.well-known/jwks.json').expect(200)).body as {
        keys: JWK[];
      }
    ).keys;

  beforeAll(async () => {
    jose = await import('jose');
    database = await createTestDatabase();
    port = await freePort();
  });
  afterAll(async () => {
    await running?.t.close();
    await database?.drop();
  });

  it('keeps accepting the previous key’s tokens during a rotation, and only then', async () => {
    const kid1 = await jose.calculateJwkThumbprint(
      await jose.exportJWK(await jose.importSPKI(k1.publicKeyPem, 'ES256', { extractable: true })),
    );
    const kid2 = await jose.calculateJwkThumbprint(
      await jose.exportJWK(await jose.importSPKI(k2.publicKeyPem, 'ES256', { extractable: true })),
    );

    // A: signs with K1.
    const a = await boot({ JWT_PRIVATE_KEY: k1.privateKeyPem });
    expect((await jwks(a)).map((key) => key.kid)).toEqual([kid1]);
    const user = await registerUser(a.server);
    const t1 = await login(a.server, user);
    expect(jwtHeader(t1.accessToken).kid).toBe(kid1);

    // B: signs with K2 and still accepts K1.
    const b = await boot({
      JWT_PRIVATE_KEY: k2.privateKeyPem,
      JWT_PREVIOUS_PUBLIC_KEY: k1.publicKeyPem,
    });
    const keysOfB = await jwks(b);
    expect(keysOfB.map((key) => key.kid)).toEqual([kid2, kid1]);
    for (const key of keysOfB) expect(key).not.toHaveProperty('d');
    await me(b.server, t1.accessToken).expect(200);
    const remote = jose.createRemoteJWKSet(new URL(`${b.issuer}/.well-known/jwks.json`));
    const verified = await jose.jwtVerify(t1.accessToken, remote, {
      issuer: b.issuer,
      audience: AUDIENCE,
      algorithms: ['ES256'],
    });
    expect(verified.protectedHeader.kid).toBe(kid1);
    const t2 = await login(b.server, user);
    expect(jwtHeader(t2.accessToken).kid).toBe(kid2);
    await expect(
      jose.jwtVerify(t2.accessToken, remote, { issuer: b.issuer, audience: AUDIENCE }),
    ).resolves.toMatchObject({ protectedHeader: { kid: kid2 } });
    const introspectedOnB = await oauthCall(b.server, '/oauth/introspect', {
      token: t1.accessToken,
    }).expect(200);
    expect(introspectedOnB.body).toMatchObject({ active: true, sid: t1.sessionId });

    // C: K2 alone. K1's token is refused, K2's still works.
    const c = await boot({ JWT_PRIVATE_KEY: k2.privateKeyPem });
    expect((await jwks(c)).map((key) => key.kid)).toEqual([kid2]);
    await me(c.server, t1.accessToken).expect(401);
    await me(c.server, t2.accessToken).expect(200);
    const introspectedOnC = await oauthCall(c.server, '/oauth/introspect', {
      token: t1.accessToken,
    }).expect(200);
    expect(introspectedOnC.body).toEqual({ active: false });
    await expect(
      jose.jwtVerify(
        t1.accessToken,
        jose.createRemoteJWKSet(new URL(`${c.issuer}/.well-known/jwks.json`)),
        { issuer: c.issuer, audience: AUDIENCE },
      ),
    ).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});
