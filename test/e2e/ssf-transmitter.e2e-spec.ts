import request from 'supertest';
import { type App } from 'supertest/types';
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import type { JSONWebKeySet } from 'jose' with { 'resolution-mode': 'import' };
import { type LoggedIn, userWithSessions } from '../factories/session.factory';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { createTestDatabase } from '../utils/test-database';

type Jose = typeof JoseModule;

const ISSUER = 'https://auth.example.test';
const RECEIVER = { id: 'orders-api', secret: 'orders-api-secret-0123456789' };
const OTHER = { id: 'billing-api', secret: 'billing-api-secret-0123456789' };
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const SESSION_REVOKED = `${CAEP}session-revoked`;
const CREDENTIAL_CHANGE = `${CAEP}credential-change`;
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const POLL = 'urn:ietf:rfc:8936';
const PUSH = 'urn:ietf:rfc:8935';

interface StreamBody {
  stream_id: string;
  iss: string;
  aud: string;
  delivery: { method: string; endpoint_url: string };
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  description?: string;
}
interface PollBody {
  sets: Record<string, string>;
  moreAvailable: boolean;
}

const header = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<string, unknown>;
const payload = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/**
 * Issue 10, transmitter side: client credentials, SSF discovery, stream management and RFC
 * 8936 poll delivery, with SETs checked by `jose` against the JWKS as a receiver would.
 */
describe('SSF transmitter', () => {
  let jose: Jose;
  let t: TestApp;
  let server: App;
  let jwks: ReturnType<Jose['createLocalJWKSet']>;

  beforeAll(async () => {
    jose = await import('jose');
    t = await createTestApp({
      env: {
        JWT_ISSUER: ISSUER,
        SERVICE_CLIENTS: JSON.stringify([
          { client_id: RECEIVER.id, client_secret: RECEIVER.secret },
          {
            client_id: OTHER.id,
            client_secret: OTHER.secret,
            audiences: ['auth-service', 'ledger'],
          },
        ]),
        CLIENT_TOKEN_TTL: '5m',
      },
    });
    server = t.app.getHttpServer();
    const keys = await request(server).get('/.well-known/jwks.json').expect(200);
    jwks = jose.createLocalJWKSet(keys.body as JSONWebKeySet);
  });
  afterAll(() => t.close());

  const clientToken = async (client = RECEIVER, form: Record<string, string> = {}) => {
    const response = await request(server)
      .post('/oauth/token')
      .auth(client.id, client.secret)
      .type('form')
      .send({ grant_type: 'client_credentials', ...form })
      .expect(200);
    return (response.body as { access_token: string }).access_token;
  };
  const asReceiver = (call: request.Test, client = RECEIVER) => call.auth(client.id, client.secret);
  const createStream = (body: object, client = RECEIVER) =>
    asReceiver(request(server).post('/ssf/streams'), client).send(body);
  const deleteStream = (streamId: string, client = RECEIVER) =>
    asReceiver(request(server).delete('/ssf/streams').query({ stream_id: streamId }), client);
  const poll = (streamId: string, body: object, client = RECEIVER) =>
    asReceiver(request(server).post(`/ssf/poll/${streamId}`), client).send(body);
  const logout = (session: LoggedIn, scope = 'local') =>
    request(server)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .set('X-Request-Id', `logout-${session.sessionId}`)
      .send({ scope })
      .expect(200);
  /** Polls without waiting until the stream has no SET left; returns every SET, acknowledged. */
  const drain = async (streamId: string): Promise<Record<string, string>> => {
    const all: Record<string, string> = {};
    let ack: string[] = [];
    for (;;) {
      const body = (await poll(streamId, { ack, returnImmediately: true }).expect(200))
        .body as PollBody;
      Object.assign(all, body.sets);
      ack = Object.keys(body.sets);
      if (ack.length === 0) return all;
    }
  };
  const verifySet = (set: string, audience = RECEIVER.id) =>
    jose.jwtVerify(set, jwks, {
      issuer: ISSUER,
      audience,
      typ: 'secevent+jwt',
      algorithms: ['ES256'],
    });

  describe('POST /oauth/token (client credentials)', () => {
    it('issues a typed access token for the client itself, without a session', async () => {
      const response = await request(server)
        .post('/oauth/token')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.body as {
        access_token: string;
        token_type: string;
        expires_in: number;
      };
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 300,
      });
      const { payload: claims, protectedHeader } = await jose.jwtVerify(body.access_token, jwks, {
        issuer: ISSUER,
        audience: 'auth-service',
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      expect(protectedHeader).toMatchObject({
        alg: 'ES256',
        typ: 'at+jwt',
        kid: expect.any(String),
      });
      expect(claims).toEqual({
        iss: ISSUER,
        aud: 'auth-service',
        sub: RECEIVER.id,
        client_id: RECEIVER.id,
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: (claims.iat ?? 0) + 300,
      });
    });

    it('names one of the client’s configured audiences, and only those', async () => {
      const token = await clientToken(OTHER, { audience: 'ledger' });
      expect(payload(token).aud).toBe('ledger');
      const refused = await request(server)
        .post('/oauth/token')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ grant_type: 'client_credentials', audience: 'ledger' })
        .expect(400);
      expect(refused.body).toMatchObject({ error: 'invalid_target', code: 'invalid_target' });
    });

    it('refuses other grants, bad credentials and unknown parameters', async () => {
      const grant = await request(server)
        .post('/oauth/token')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ grant_type: 'password' })
        .expect(400);
      expect(grant.body).toMatchObject({
        error: 'unsupported_grant_type',
        error_description: expect.any(String),
        code: 'unsupported_grant_type',
      });
      await request(server)
        .post('/oauth/token')
        .auth(RECEIVER.id, 'not-the-secret-at-all')
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(401);
      await request(server)
        .post('/oauth/token')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ grant_type: 'client_credentials', scope: 'admin' })
        .expect(400);
    });

    it('is refused by the user endpoints and by introspection', async () => {
      const token = await clientToken();
      await request(server).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${token}`)
        .send({})
        .expect(401);
      const introspection = await request(server)
        .post('/oauth/introspect')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ token })
        .expect(200);
      expect(introspection.body).toEqual({ active: false });
    });
  });

  it('GET /.well-known/ssf-configuration describes the transmitter (SSF 1.0 §7.1)', async () => {
    const response = await request(server).get('/.well-known/ssf-configuration').expect(200);
    expect(response.body).toEqual({
      spec_version: '1_0',
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${ISSUER}/ssf/streams`,
      status_endpoint: `${ISSUER}/ssf/streams/status`,
      verification_endpoint: `${ISSUER}/ssf/streams/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }, { spec_urn: 'urn:ietf:rfc:7617' }],
      default_subjects: 'ALL',
    });
  });

  describe('stream management', () => {
    it('creates, reads, updates, replaces and deletes the client’s own stream', async () => {
      const token = await clientToken();
      const created = await request(server)
        .post('/ssf/streams')
        .set('Authorization', `Bearer ${token}`)
        .send({
          delivery: { method: POLL },
          events_requested: [SESSION_REVOKED, 'urn:example:unsupported'],
          description: 'orders',
        })
        .expect(201);
      const stream = created.body as StreamBody;
      expect(stream).toEqual({
        stream_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iss: ISSUER,
        aud: RECEIVER.id,
        delivery: { method: POLL, endpoint_url: `${ISSUER}/ssf/poll/${stream.stream_id}` },
        events_supported: [SESSION_REVOKED, CREDENTIAL_CHANGE],
        events_requested: [SESSION_REVOKED, 'urn:example:unsupported'],
        events_delivered: [SESSION_REVOKED],
        description: 'orders',
      });
      try {
        const again = await createStream({ delivery: { method: POLL } }).expect(409);
        expect(again.body).toMatchObject({ statusCode: 409, code: 'stream_exists' });

        const read = await asReceiver(
          request(server).get('/ssf/streams').query({ stream_id: stream.stream_id }),
        ).expect(200);
        expect(read.body).toEqual(stream);
        const list = await asReceiver(request(server).get('/ssf/streams')).expect(200);
        expect(list.body).toEqual([stream]);

        const patched = await asReceiver(request(server).patch('/ssf/streams'))
          .send({
            stream_id: stream.stream_id,
            events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
          })
          .expect(200);
        expect(patched.body).toMatchObject({
          description: 'orders',
          events_delivered: [SESSION_REVOKED, CREDENTIAL_CHANGE],
        });
        const replaced = await asReceiver(request(server).put('/ssf/streams'))
          .send({
            ...(patched.body as StreamBody),
            events_requested: [SESSION_REVOKED],
            description: undefined,
          })
          .expect(200);
        expect(replaced.body).toEqual({
          ...stream,
          events_requested: [SESSION_REVOKED],
          events_delivered: [SESSION_REVOKED],
          description: undefined,
        });

        const status = await asReceiver(
          request(server).get('/ssf/streams/status').query({ stream_id: stream.stream_id }),
        ).expect(200);
        expect(status.body).toEqual({ stream_id: stream.stream_id, status: 'enabled' });
        const paused = await asReceiver(request(server).post('/ssf/streams/status'))
          .send({ stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' })
          .expect(200);
        expect(paused.body).toEqual({
          stream_id: stream.stream_id,
          status: 'paused',
          reason: 'maintenance',
        });
      } finally {
        await deleteStream(stream.stream_id).expect(204);
      }
      await asReceiver(
        request(server).get('/ssf/streams').query({ stream_id: stream.stream_id }),
      ).expect(404);
    });

    it('never shows or changes another client’s stream', async () => {
      const mine = (await createStream({ events_requested: [SESSION_REVOKED] }).expect(201))
        .body as StreamBody;
      try {
        const id = mine.stream_id;
        for (const call of [
          request(server).get('/ssf/streams').query({ stream_id: id }),
          request(server).get('/ssf/streams/status').query({ stream_id: id }),
          request(server).patch('/ssf/streams').send({ stream_id: id, description: 'taken' }),
          request(server).post('/ssf/streams/status').send({ stream_id: id, status: 'disabled' }),
          request(server).post('/ssf/streams/verify').send({ stream_id: id }),
          request(server).delete('/ssf/streams').query({ stream_id: id }),
          request(server).post(`/ssf/poll/${id}`).send({ returnImmediately: true }),
        ]) {
          const response = await asReceiver(call, OTHER).expect(404);
          expect(response.body).toMatchObject({ statusCode: 404, code: 'not_found' });
        }
        expect(
          (await asReceiver(request(server).get('/ssf/streams'), OTHER).expect(200)).body,
        ).toEqual([]);
        const unchanged = await asReceiver(
          request(server).get('/ssf/streams').query({ stream_id: id }),
        ).expect(200);
        expect(unchanged.body).toEqual(mine);
        const status = await asReceiver(
          request(server).get('/ssf/streams/status').query({ stream_id: id }),
        ).expect(200);
        expect(status.body).toMatchObject({ status: 'enabled' });
      } finally {
        await deleteStream(mine.stream_id).expect(204);
      }
    });

    it.each([
      ['an unknown delivery method', { delivery: { method: 'urn:example:carrier-pigeon' } }],
      ['an unknown field', { events_requested: [SESSION_REVOKED], colour: 'blue' }],
      ['events_requested that is no list', { events_requested: SESSION_REVOKED }],
      [
        'a poll endpoint chosen by the receiver',
        { delivery: { method: POLL, endpoint_url: 'https://x.test/' } },
      ],
      ['push without an endpoint', { delivery: { method: PUSH } }],
      [
        'push over plain http',
        { delivery: { method: PUSH, endpoint_url: 'http://receiver.example.com/events' } },
      ],
      [
        'push to a private address',
        { delivery: { method: PUSH, endpoint_url: 'https://10.1.2.3/events' } },
      ],
      [
        'push to loopback',
        { delivery: { method: PUSH, endpoint_url: 'https://127.0.0.1:9/events' } },
      ],
      [
        'push to link-local metadata',
        { delivery: { method: PUSH, endpoint_url: 'https://169.254.169.254/' } },
      ],
      [
        'push with credentials in the URL',
        { delivery: { method: PUSH, endpoint_url: 'https://u:p@8.8.8.8/' } },
      ],
    ])('refuses %s with a 400 and creates nothing', async (_case, body) => {
      const response = await createStream(body).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, message: expect.any(String) });
      expect(JSON.stringify(response.body)).not.toMatch(/stack|at \//);
      expect((await asReceiver(request(server).get('/ssf/streams')).expect(200)).body).toEqual([]);
    });

    it('refuses requests without valid client credentials', async () => {
      await request(server).get('/ssf/streams').expect(401);
      await request(server)
        .get('/ssf/streams')
        .auth(RECEIVER.id, 'wrong-secret-wrong-secret')
        .expect(401);
      const [session] = await userWithSessions(server, 1);
      const userToken = await request(server)
        .get('/ssf/streams')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(401);
      expect(userToken.headers['www-authenticate']).toMatch(/invalid_token/);
    });
  });

  describe('poll delivery (RFC 8936)', () => {
    let stream: StreamBody;
    beforeEach(async () => {
      stream = (
        await createStream({ events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE] }).expect(201)
      ).body as StreamBody;
      await drain(stream.stream_id);
    });
    afterEach(() => deleteStream(stream.stream_id).expect(204));

    it('delivers one session-revoked SET per ended session, every claim as the standards say', async () => {
      const [first, second] = await userWithSessions(server, 2);
      const logoutResponse = await logout(first, 'global');
      const { sets, moreAvailable } = (
        await poll(stream.stream_id, { returnImmediately: true }).expect(200)
      ).body as PollBody;
      expect(moreAvailable).toBe(false);
      const verified = await Promise.all(Object.values(sets).map((set) => verifySet(set)));
      expect(
        verified
          .map(({ payload: claims }) => (claims.sub_id as { session: { id: string } }).session.id)
          .sort(),
      ).toEqual([first.sessionId, second.sessionId].sort());
      const eventTime = Math.floor(
        Date.parse((logoutResponse.body as { timestamp: string }).timestamp) / 1000,
      );
      for (const [jti, set] of Object.entries(sets)) {
        const { payload: claims, protectedHeader } = await verifySet(set);
        expect(protectedHeader).toEqual({
          alg: 'ES256',
          typ: 'secevent+jwt',
          kid: expect.any(String),
        });
        expect(claims).toEqual({
          iss: ISSUER,
          aud: RECEIVER.id,
          iat: expect.any(Number),
          jti,
          txn: `logout-${first.sessionId}`,
          sub_id: {
            format: 'complex',
            user: { format: 'iss_sub', iss: ISSUER, sub: first.userId },
            session: { format: 'opaque', id: expect.any(String) },
          },
          events: {
            [SESSION_REVOKED]: {
              event_timestamp: eventTime,
              initiating_entity: 'user',
              reason_admin: { en: expect.any(String) },
            },
          },
        });
        // RFC 8417 §2.2: a SET is no access token: no `exp`, no `sid`.
        expect(claims.exp).toBeUndefined();
      }
    });

    it('returns a SET again until it is acknowledged, then never', async () => {
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      const first = (await poll(stream.stream_id, { returnImmediately: true }).expect(200))
        .body as PollBody;
      const [jti] = Object.keys(first.sets);
      expect(Object.keys(first.sets)).toHaveLength(1);
      // Unacknowledged and leased: the lease runs out, and it comes back with the same jti.
      t.clock.advance(60_000);
      const again = (await poll(stream.stream_id, { returnImmediately: true }).expect(200))
        .body as PollBody;
      expect(Object.keys(again.sets)).toEqual([jti]);
      t.clock.advance(60_000);
      const acked = (
        await poll(stream.stream_id, { ack: [jti], returnImmediately: true }).expect(200)
      ).body as PollBody;
      expect(acked).toEqual({ sets: {}, moreAvailable: false });
      t.clock.advance(60_000);
      expect((await poll(stream.stream_id, { returnImmediately: true }).expect(200)).body).toEqual({
        sets: {},
        moreAvailable: false,
      });
      // Acknowledging again is harmless (a retried request).
      await poll(stream.stream_id, { ack: [jti], returnImmediately: true }).expect(200);
    });

    it('refuses an acknowledgement of an unknown jti and acknowledges nothing of that request', async () => {
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      const { sets } = (await poll(stream.stream_id, { returnImmediately: true }).expect(200))
        .body as PollBody;
      const [jti] = Object.keys(sets);
      for (const unknown of ['1b4e28ba-2fa1-41d2-883f-0016d3cca427', 'not-a-jti']) {
        const response = await poll(stream.stream_id, {
          ack: [jti, unknown],
          returnImmediately: true,
        }).expect(400);
        expect(response.body).toMatchObject({ statusCode: 400, code: 'unknown_set' });
        expect(String((response.body as { message: string }).message)).toContain(unknown);
      }
      t.clock.advance(60_000);
      const again = (await poll(stream.stream_id, { returnImmediately: true }).expect(200))
        .body as PollBody;
      expect(Object.keys(again.sets)).toEqual([jti]);
      await poll(stream.stream_id, { ack: [jti], returnImmediately: true }).expect(200);
    });

    it('setErrs ends a SET’s delivery like an acknowledgement', async () => {
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      const { sets } = (await poll(stream.stream_id, { returnImmediately: true }).expect(200))
        .body as PollBody;
      const [jti] = Object.keys(sets);
      await poll(stream.stream_id, {
        setErrs: { [jti]: { err: 'invalid_request', description: 'unknown subject' } },
        returnImmediately: true,
      }).expect(200);
      t.clock.advance(60_000);
      expect((await poll(stream.stream_id, { returnImmediately: true }).expect(200)).body).toEqual({
        sets: {},
        moreAvailable: false,
      });
    });

    it('honours maxEvents and says when more are available', async () => {
      const sessions = await userWithSessions(server, 3);
      await logout(sessions[0], 'global');
      const page = (
        await poll(stream.stream_id, { maxEvents: 2, returnImmediately: true }).expect(200)
      ).body as PollBody;
      expect(Object.keys(page.sets)).toHaveLength(2);
      expect(page.moreAvailable).toBe(true);
      const rest = (
        await poll(stream.stream_id, {
          ack: Object.keys(page.sets),
          maxEvents: 2,
          returnImmediately: true,
        }).expect(200)
      ).body as PollBody;
      expect(Object.keys(rest.sets)).toHaveLength(1);
      expect(rest.moreAvailable).toBe(false);
    });

    it('a long poll returns as soon as a session ends', async () => {
      const [session] = await userWithSessions(server, 1);
      const waiting = poll(stream.stream_id, { maxEvents: 10 });
      // The poll is in flight and waiting (nothing due) when the logout commits.
      const pending = waiting.then((response) => response);
      await new Promise((resolve) => setImmediate(resolve));
      await logout(session);
      const response = await pending;
      expect(response.status).toBe(200);
      const sets = Object.values((response.body as PollBody).sets);
      expect(sets.length).toBeGreaterThanOrEqual(1);
      const ids = await Promise.all(
        sets.map(
          async (set) =>
            ((await verifySet(set)).payload.sub_id as { session: { id: string } }).session.id,
        ),
      );
      expect(ids).toContain(session.sessionId);
    });

    it('a password change delivers the other sessions’ endings and a credential-change', async () => {
      const [current, other] = await userWithSessions(server, 2);
      await request(server)
        .post('/auth/password')
        .set('Authorization', `Bearer ${current.accessToken}`)
        .send({ currentPassword: current.password, newPassword: 'a different passphrase 99' })
        .expect(200);
      const sets = await drain(stream.stream_id);
      const events = await Promise.all(
        Object.values(sets).map(async (set) => (await verifySet(set)).payload),
      );
      const change = events.find((claims) => CREDENTIAL_CHANGE in (claims.events as object));
      expect(change).toMatchObject({
        sub_id: {
          format: 'complex',
          user: { format: 'iss_sub', iss: ISSUER, sub: current.userId },
        },
        events: {
          [CREDENTIAL_CHANGE]: {
            credential_type: 'password',
            change_type: 'update',
            initiating_entity: 'user',
            event_timestamp: expect.any(Number),
          },
        },
      });
      expect((change?.sub_id as { session?: unknown }).session).toBeUndefined();
      const revoked = events.filter((claims) => SESSION_REVOKED in (claims.events as object));
      expect(
        revoked.map((claims) => (claims.sub_id as { session: { id: string } }).session.id),
      ).toEqual([other.sessionId]);
    });

    it('delivers a verification event with the receiver’s state', async () => {
      await asReceiver(request(server).post('/ssf/streams/verify'))
        .send({ stream_id: stream.stream_id, state: 'VGhpcyBpcyBhbiBleGFtcGxl' })
        .expect(204);
      const sets = Object.values(await drain(stream.stream_id));
      expect(sets).toHaveLength(1);
      const { payload: claims } = await verifySet(sets[0]);
      expect(claims).toMatchObject({
        sub_id: { format: 'opaque', id: stream.stream_id },
        events: { [VERIFICATION]: { state: 'VGhpcyBpcyBhbiBleGFtcGxl' } },
      });
    });

    it('a paused stream keeps its events and delivers them once enabled', async () => {
      await asReceiver(request(server).post('/ssf/streams/status'))
        .send({ stream_id: stream.stream_id, status: 'paused' })
        .expect(200);
      const [session] = await userWithSessions(server, 1);
      await logout(session);
      expect((await poll(stream.stream_id, { returnImmediately: true }).expect(200)).body).toEqual({
        sets: {},
        moreAvailable: false,
      });
      await asReceiver(request(server).post('/ssf/streams/status'))
        .send({ stream_id: stream.stream_id, status: 'enabled' })
        .expect(200);
      expect(Object.keys(await drain(stream.stream_id))).toHaveLength(1);
    });

    it('a SET is refused wherever an access token is expected', async () => {
      const [session, bystander] = await userWithSessions(server, 2);
      await logout(session);
      const [set] = Object.values(await drain(stream.stream_id));
      expect(header(set).typ).toBe('secevent+jwt');
      await request(server).get('/auth/me').set('Authorization', `Bearer ${set}`).expect(401);
      await request(server).get('/ssf/streams').set('Authorization', `Bearer ${set}`).expect(401);
      const introspection = await request(server)
        .post('/oauth/introspect')
        .auth(RECEIVER.id, RECEIVER.secret)
        .type('form')
        .send({ token: set })
        .expect(200);
      expect(introspection.body).toEqual({ active: false });
      await request(server)
        .get('/auth/me')
        .set('Authorization', `Bearer ${bystander.accessToken}`)
        .expect(200);
    });
  });

  it('a new stream learns of the endings of the last access-token lifetime', async () => {
    const [session] = await userWithSessions(server, 1);
    await logout(session);
    const stream = (await createStream({ events_requested: [SESSION_REVOKED] }, OTHER).expect(201))
      .body as StreamBody;
    try {
      const sets = Object.values(
        await (async () => {
          const body = (
            await poll(stream.stream_id, { returnImmediately: true }, OTHER).expect(200)
          ).body as PollBody;
          return body.sets;
        })(),
      );
      const sessions = await Promise.all(
        sets.map(
          async (set) =>
            ((await verifySet(set, OTHER.id)).payload.sub_id as { session: { id: string } }).session
              .id,
        ),
      );
      expect(sessions).toContain(session.sessionId);
    } finally {
      await deleteStream(stream.stream_id, OTHER).expect(204);
    }
  });

  it('an instance that stops gracefully hands back the SETs it leased at once, not after the lease', async () => {
    const database = await createTestDatabase();
    const env = {
      JWT_ISSUER: ISSUER,
      SERVICE_CLIENTS: `${RECEIVER.id}:${RECEIVER.secret}`,
    };
    const first = await createTestApp({ env, database });
    let firstRunning = true;
    let second: TestApp | undefined;
    try {
      const on = first.app.getHttpServer() as App;
      const created = await request(on)
        .post('/ssf/streams')
        .auth(RECEIVER.id, RECEIVER.secret)
        .send({ events_requested: [SESSION_REVOKED] })
        .expect(201);
      const streamId = (created.body as StreamBody).stream_id;
      const pollOn = (app: App) =>
        request(app)
          .post(`/ssf/poll/${streamId}`)
          .auth(RECEIVER.id, RECEIVER.secret)
          .send({ returnImmediately: true })
          .expect(200)
          .then((response) => Object.keys((response.body as PollBody).sets));
      const [session] = await userWithSessions(on, 1);
      await request(on)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .send({ scope: 'local' })
        .expect(200);
      const leased = await pollOn(on);
      expect(leased).toHaveLength(1);
      // Leased and not acknowledged: hidden from every poll while its lease (30 s) lasts...
      expect(await pollOn(on)).toEqual([]);
      await first.close();
      firstRunning = false;
      // ...but the stopped instance released it: the next one hands it out at once, same jti.
      second = await createTestApp({ env, database });
      expect(await pollOn(second.app.getHttpServer() as App)).toEqual(leased);
    } finally {
      await second?.close();
      if (firstRunning) await first.close();
      await database.drop();
    }
  });
});
