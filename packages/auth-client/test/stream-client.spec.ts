import { AuthClient } from '../src/core/auth-client';
import { type AuthClientOptions } from '../src/core/auth-client.options';
import { type AuthClientError } from '../src/core/auth-client.error';
import { type ReceivedSecurityEvent } from '../src/core/security-event';
import {
  AUDIENCE,
  CLIENT_ID,
  CLIENT_SECRET,
  eventually,
  FakeAuthService,
  ISSUER,
} from './fake-auth-service';

describe('AuthClient security-event stream', () => {
  let service: FakeAuthService;
  let client: AuthClient;
  let received: ReceivedSecurityEvent[];
  let now: number;

  const create = (options: Partial<AuthClientOptions> = {}) => {
    received = [];
    client = new AuthClient({
      issuer: ISSUER,
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      serviceUrl: service.baseUrl,
      staleAfterMs: 60_000,
      retryDelayMs: { first: 10, max: 50 },
      now: () => now,
      onSecurityEvent: (event) => received.push(event),
      ...options,
    });
    return client;
  };
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: AuthClientError) => error.code,
    );

  beforeEach(async () => {
    now = Date.now();
    service = await new FakeAuthService().start();
  });
  afterEach(async () => {
    await client?.stop();
    await service.stop();
  });

  it('creates its poll stream for the CAEP events it needs', async () => {
    create().start();
    await eventually(() => client.isStreamFresh());
    expect(service.stream).toEqual(
      expect.objectContaining({
        delivery: expect.objectContaining({ method: 'urn:ietf:rfc:8936' }),
        events_requested: expect.arrayContaining([
          'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
        ]),
      }),
    );
  });

  it('refuses a session once its session-revoked SET arrives, keeps others, and acknowledges it', async () => {
    create().start();
    await eventually(() => client.isStreamFresh());
    now += 2_000; // tokens issued after the stream answered need no introspection
    const ended = await service.accessToken('s1', { iat: Math.floor(now / 1000) });
    const other = await service.accessToken('s2', { iat: Math.floor(now / 1000) });
    expect(await codeOf(client.authenticate(`Bearer ${ended}`))).toBe('accepted');

    const jti = await service.endSession('s1');
    await eventually(() => client.hasSessionEnded('s1'));
    expect(await codeOf(client.authenticate(`Bearer ${ended}`))).toBe('session_ended');
    expect(await codeOf(client.authenticate(`Bearer ${other}`))).toBe('accepted');
    await eventually(() => service.acks.includes(jti));
    expect(service.acks.filter((acked) => acked === jti)).toHaveLength(1);
    expect(received).toEqual([
      expect.objectContaining({ kind: 'session-revoked', jti, sessionId: 's1', userId: 'user-1' }),
    ]);
    expect(service.introspections).toBe(0);
  });

  it.each([
    [
      'a SET signed by another key',
      async () => {
        const { privateKey } = await service.jose.generateKeyPair('ES256');
        return service.sign(
          service.jose.decodeJwt(await service.sessionRevokedSet('s1')),
          { typ: 'secevent+jwt' },
          privateKey,
        );
      },
      'invalid_key',
    ],
    [
      'a SET for another receiver',
      () => service.sessionRevokedSet('s1', { aud: 'billing' }),
      'invalid_audience',
    ],
    [
      'a SET of another issuer',
      () => service.sessionRevokedSet('s1', { iss: 'evil' }),
      'invalid_issuer',
    ],
    [
      'an access token posing as a SET',
      () => service.sessionRevokedSet('s1', {}, { typ: 'at+jwt' }),
      'invalid_request',
    ],
  ])('reports %s as a setErr and ends nothing', async (_case, forge, err) => {
    create().start();
    await eventually(() => client.isStreamFresh());
    const jti = service.enqueue(await forge());
    await eventually(() => service.setErrs[jti] !== undefined);
    expect(service.setErrs[jti].err).toBe(err);
    expect(service.acks).not.toContain(jti);
    expect(client.hasSessionEnded('s1')).toBe(false);
    expect(received).toEqual([]);
  });

  it('asks introspection about tokens issued before its stream first answered, once per live session', async () => {
    const early = await service.accessToken('s1', { iat: Math.floor(now / 1000) - 60 });
    service.liveSessions.delete('s0');
    const endedEarly = await service.accessToken('s0', { iat: Math.floor(now / 1000) - 60 });
    service.liveSessions.delete('s0'); // ended before this process existed: its SET went to a predecessor
    create().start();
    await eventually(() => client.isStreamFresh());
    expect(await codeOf(client.authenticate(`Bearer ${early}`))).toBe('accepted');
    expect(await codeOf(client.authenticate(`Bearer ${early}`))).toBe('accepted');
    expect(await codeOf(client.authenticate(`Bearer ${endedEarly}`))).toBe('session_ended');
    expect(await codeOf(client.authenticate(`Bearer ${endedEarly}`))).toBe('session_ended');
    expect(service.introspections).toBe(2);
  });

  it('when the stream is stale it asks introspection, and fails closed when that cannot answer', async () => {
    create({ staleAfterMs: 1_000 }).start();
    await eventually(() => client.isStreamFresh());
    now += 2_000;
    const token = await service.accessToken('s1', { iat: Math.floor(now / 1000) });
    service.streamDown = true;
    // A second refusal: the client has taken in the first (the service counts a refusal
    // before the client reads it, and until then its long poll still counts as contact).
    await eventually(() => service.refusedStreamCalls > 1);
    now += 5_000; // no successful poll for longer than staleAfterMs
    expect(client.isStreamFresh()).toBe(false);

    expect(await codeOf(client.authenticate(`Bearer ${token}`))).toBe('accepted');
    service.liveSessions.delete('s1');
    expect(await codeOf(client.authenticate(`Bearer ${token}`))).toBe('session_ended');
    expect(service.introspections).toBe(2);

    const other = await service.accessToken('s2', { iat: Math.floor(now / 1000) });
    service.introspectionDown = true;
    expect(await codeOf(client.authenticate(`Bearer ${other}`))).toBe('verification_unavailable');
  });

  it('can be told to accept when introspection is down (fail open, explicitly)', async () => {
    create({ staleAfterMs: 1_000, whenIntrospectionFails: 'accept' });
    service.introspectionDown = true;
    const token = await service.accessToken('s1');
    expect(await codeOf(client.authenticate(`Bearer ${token}`))).toBe('accepted');
  });

  it('sends the acknowledgements it owes when stopped', async () => {
    create().start();
    await eventually(() => client.isStreamFresh());
    const jti = await service.endSession('s1');
    await eventually(() => client.hasSessionEnded('s1'));
    await client.stop();
    expect(service.acks).toContain(jti);
    expect(service.queue.has(jti)).toBe(false);
  });

  describe('push delivery (RFC 8935)', () => {
    const push = { method: 'push', endpointUrl: 'https://orders.example/ssf/events' } as const;

    it('registers its endpoint, asks for verification, and answers 202 to a valid SET', async () => {
      create({ delivery: push }).start();
      await eventually(() => service.verifications.length > 0);
      expect(service.stream?.delivery).toEqual({
        method: 'urn:ietf:rfc:8935',
        endpoint_url: push.endpointUrl,
      });
      expect(client.isStreamFresh()).toBe(false); // nothing has arrived over the push path yet
      const verification = await service.sign(
        {
          iss: ISSUER,
          aud: CLIENT_ID,
          iat: Math.floor(now / 1000),
          jti: 'v1',
          events: {
            'https://schemas.openid.net/secevent/ssf/event-type/verification': {
              state: service.verifications[0],
            },
          },
        },
        { typ: 'secevent+jwt' },
      );
      expect(await client.receivePush('application/secevent+jwt', verification)).toEqual({
        status: 202,
      });
      expect(client.isStreamFresh()).toBe(true);

      const set = await service.sessionRevokedSet('s9');
      expect(await client.receivePush('application/secevent+jwt', set)).toEqual({ status: 202 });
      expect(client.hasSessionEnded('s9')).toBe(true);
    });

    it('answers 400 with an RFC 8935 error to a forged or mistyped SET and ends nothing', async () => {
      create({ delivery: push });
      const forged = await service.sessionRevokedSet('s1', { aud: 'billing' });
      expect(await client.receivePush('application/secevent+jwt', forged)).toEqual({
        status: 400,
        body: expect.objectContaining({ err: 'invalid_audience' }),
      });
      const asJson = await service.sessionRevokedSet('s1');
      expect(await client.receivePush('application/json', asJson)).toEqual({
        status: 400,
        body: expect.objectContaining({ err: 'invalid_request' }),
      });
      expect(await client.receivePush('application/secevent+jwt', 'not.a.jwt')).toEqual({
        status: 400,
        body: expect.objectContaining({ err: 'invalid_request' }),
      });
      expect(client.hasSessionEnded('s1')).toBe(false);
    });
  });
});
