import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import type { CryptoKey, JWK, JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { SESSION_REVOKED } from '../src/core/event-types';

export const ISSUER = 'auth-service';
export const AUDIENCE = 'auth-service';
export const CLIENT_ID = 'orders';
export const CLIENT_SECRET = 'orders-secret-0123456789';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The transmitter side of SSF-PROTOCOL.md in one small `node:http` server, for the package's
 * unit tests: discovery, JWKS (rotatable), client credentials, one stream, RFC 8936 poll with
 * acks and setErrs, verification, and introspection backed by a set of live sessions.
 * The real service is exercised by the example consumer's e2e suite.
 */
export class FakeAuthService {
  jose!: typeof JoseModule;
  private server!: Server;
  private keys: SigningKey[] = [];
  baseUrl = '';
  /** Undelivered or unacknowledged SETs by jti, in order. */
  readonly queue = new Map<string, string>();
  readonly acks: string[] = [];
  readonly setErrs: Record<string, { err: string; description: string }> = {};
  readonly liveSessions = new Set<string>();
  introspections = 0;
  introspectionDown = false;
  streamDown = false;
  refusedStreamCalls = 0;
  stream?: {
    stream_id: string;
    delivery: { method: string; endpoint_url?: string };
    events_requested: string[];
  };
  verifications: string[] = [];
  private waiting: (() => void)[] = [];

  async start(): Promise<this> {
    this.jose = await import('jose');
    await this.rotateKey();
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiting.splice(0)) wake();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  /** A new current key; the old one stays in the JWKS unless `dropOld`. */
  async rotateKey(dropOld = false): Promise<void> {
    const { privateKey, publicKey } = await this.jose.generateKeyPair('ES256');
    const publicJwk = await this.jose.exportJWK(publicKey);
    const kid = await this.jose.calculateJwkThumbprint(publicJwk);
    if (dropOld) this.keys = [];
    this.keys.unshift({
      kid,
      privateKey,
      publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
    });
  }

  async sign(
    claims: JWTPayload,
    header: { typ?: string; alg?: string; kid?: string } = {},
    key: CryptoKey = this.keys[0].privateKey,
  ): Promise<string> {
    return new this.jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.keys[0].kid, ...header })
      .sign(key);
  }

  /** A user's access token of session `sid`, issued now (or `iat` seconds). */
  accessToken(
    sid: string,
    claims: JWTPayload = {},
    header: { typ?: string } = {},
  ): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    this.liveSessions.add(sid);
    return this.sign(
      {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'user-1',
        sid,
        jti: randomUUID(),
        iat,
        exp: iat + 900,
        roles: ['user'],
        ...claims,
      },
      { typ: 'at+jwt', ...header },
    );
  }

  sessionRevokedSet(
    sid: string,
    claims: JWTPayload = {},
    header: { typ?: string } = {},
  ): Promise<string> {
    return this.sign(
      {
        iss: ISSUER,
        aud: CLIENT_ID,
        iat: Math.floor(Date.now() / 1000),
        jti: randomUUID(),
        txn: randomUUID(),
        sub_id: {
          format: 'complex',
          user: { format: 'iss_sub', iss: ISSUER, sub: 'user-1' },
          session: { format: 'opaque', id: sid },
        },
        events: {
          [SESSION_REVOKED]: {
            event_timestamp: Math.floor(Date.now() / 1000),
            initiating_entity: 'user',
          },
        },
        ...claims,
      },
      { typ: 'secevent+jwt', ...header },
    );
  }

  /** Ends the session: introspection calls it inactive and its SET waits on the stream. */
  async endSession(sid: string): Promise<string> {
    this.liveSessions.delete(sid);
    return this.enqueue(await this.sessionRevokedSet(sid));
  }

  enqueue(set: string): string {
    const { jti } = this.jose.decodeJwt(set);
    this.queue.set(jti!, set);
    for (const wake of this.waiting.splice(0)) wake();
    return jti!;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const body = await readText(request);
    const send = (status: number, json?: unknown) => {
      response.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      response.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /.well-known/openid-configuration') {
      return send(200, {
        issuer: ISSUER,
        jwks_uri: `${this.baseUrl}/.well-known/jwks.json`,
        introspection_endpoint: `${this.baseUrl}/oauth/introspect`,
        token_endpoint: `${this.baseUrl}/oauth/token`,
      });
    }
    if (route === 'GET /.well-known/jwks.json')
      return send(200, { keys: this.keys.map((key) => key.publicJwk) });
    if (route === 'GET /.well-known/ssf-configuration') {
      return send(200, {
        spec_version: '1_0',
        issuer: ISSUER,
        jwks_uri: `${this.baseUrl}/.well-known/jwks.json`,
        configuration_endpoint: `${this.baseUrl}/ssf/streams`,
        status_endpoint: `${this.baseUrl}/ssf/streams/status`,
        verification_endpoint: `${this.baseUrl}/ssf/streams/verify`,
      });
    }
    const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
    if (route === 'POST /oauth/introspect') {
      if (request.headers.authorization !== basic) return send(401);
      this.introspections += 1;
      if (this.introspectionDown) return send(503);
      const token = new URLSearchParams(body).get('token') ?? '';
      const { sid } = this.jose.decodeJwt(token) as { sid?: string };
      return send(200, { active: sid !== undefined && this.liveSessions.has(sid) });
    }
    if (route === 'POST /oauth/token') {
      if (request.headers.authorization !== basic) return send(401);
      return send(200, { access_token: 'service-token', token_type: 'Bearer', expires_in: 300 });
    }
    if (request.headers.authorization !== 'Bearer service-token') return send(401);
    if (this.streamDown) {
      this.refusedStreamCalls += 1;
      return send(503);
    }
    if (url.pathname === '/ssf/streams') {
      if (request.method === 'GET') return send(200, this.stream ? [this.stream] : []);
      const config = JSON.parse(body) as Record<string, never>;
      const id = this.stream?.stream_id ?? randomUUID();
      const delivery = config.delivery as { method: string; endpoint_url?: string };
      this.stream = {
        stream_id: id,
        delivery:
          delivery.method === 'urn:ietf:rfc:8936'
            ? { ...delivery, endpoint_url: `${this.baseUrl}/ssf/poll/${id}` }
            : delivery,
        events_requested: config.events_requested,
      };
      return send(request.method === 'POST' ? 201 : 200, this.stream);
    }
    if (route === 'GET /ssf/streams/status')
      return send(200, { stream_id: this.stream?.stream_id, status: 'enabled' });
    if (route === 'POST /ssf/streams/verify') {
      const { state } = JSON.parse(body) as { state: string };
      this.verifications.push(state);
      return send(204);
    }
    if (request.method === 'POST' && url.pathname === `/ssf/poll/${this.stream?.stream_id}`) {
      const poll = JSON.parse(body) as {
        ack?: string[];
        setErrs?: Record<string, { err: string; description: string }>;
        returnImmediately?: boolean;
      };
      for (const jti of poll.ack ?? []) {
        this.acks.push(jti);
        this.queue.delete(jti);
      }
      for (const [jti, error] of Object.entries(poll.setErrs ?? {})) {
        this.setErrs[jti] = error;
        this.queue.delete(jti);
      }
      if (this.queue.size === 0 && !poll.returnImmediately) {
        // A short long poll: tests want the loop to come round quickly.
        await new Promise<void>((done) => {
          const timer = setTimeout(done, 200);
          this.waiting.push(() => {
            clearTimeout(timer);
            done();
          });
        });
      }
      return send(200, { sets: Object.fromEntries(this.queue), moreAvailable: false });
    }
    return send(404);
  }
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Until `condition` holds; the jest timeout bounds it, so no assertion depends on speed. */
export async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((done) => setTimeout(done, 10));
}
