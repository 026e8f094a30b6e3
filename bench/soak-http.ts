/**
 * The soak's HTTP side: one keep-alive agent per service instance, a round-robin "load
 * balancer" over them, and a recorder that keeps every response (status, route, instance,
 * time) with the unique `X-Request-Id` it was sent with.
 */
import { Agent, request } from 'node:http';

export interface Instance {
  name: string;
  baseUrl: string;
  host: string;
  port: number;
  agent: Agent;
}

export function instance(name: string, port: number): Instance {
  return {
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    // Idle sockets close well before the server's 5 s keep-alive timeout: reusing a socket the
    // server is closing at that instant gives an ECONNRESET that is the client's doing.
    agent: new Agent({ keepAlive: true, maxSockets: 64, timeout: 2_000 }),
  };
}

/** One answered (or failed) request. `status` 0 means no HTTP answer (reset, refused, timeout). */
export interface ResponseRecord {
  /** Milliseconds since the soak clock's origin when the request was sent. */
  start: number;
  /** Milliseconds the request took. */
  ms: number;
  route: string;
  instance: number;
  status: number;
  requestId: string;
  /** The session whose token the request carried, when known. */
  sessionId?: string;
  /** The network error, when `status` is 0. */
  error?: string;
}

export interface HttpResult {
  status: number;
  body: string;
  requestId: string;
  instance: number;
  start: number;
  end: number;
  error?: string;
  /** What was recorded for it (when recording). */
  record?: ResponseRecord;
}

export interface SendOptions {
  method: 'GET' | 'POST';
  path: string;
  route: string;
  token?: string;
  body?: unknown;
  /** Client address the service sees (TRUST_PROXY=true). */
  forwardedFor?: string;
  /** Pin to an instance (index); otherwise the next one in round-robin order. */
  instance?: number;
  /** Recorded with the response. */
  sessionId?: string;
}

const TIMEOUT_MS = 20_000;

export class SoakHttp {
  readonly records: ResponseRecord[] = [];
  private roundRobin = 0;
  private sequence = 0;

  constructor(
    readonly instances: readonly Instance[],
    private readonly runId: string,
    /** The soak clock's origin (`Date.now()` at the start of traffic). */
    readonly origin: number,
    /** Recording off: verification requests are kept apart from the traffic. */
    private readonly recording = true,
  ) {}

  now(): number {
    return Date.now() - this.origin;
  }

  nextInstance(): number {
    return this.roundRobin++ % this.instances.length;
  }

  send(options: SendOptions): Promise<HttpResult> {
    const index = options.instance ?? this.nextInstance();
    const target = this.instances[index];
    const requestId = `${this.runId}-${(this.sequence++).toString(36)}`;
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      'user-agent': 'auth-soak/1',
      accept: 'application/json',
    };
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.forwardedFor !== undefined) headers['x-forwarded-for'] = options.forwardedFor;
    const start = this.now();
    return new Promise<HttpResult>((resolve) => {
      let settled = false;
      const finish = (status: number, body: string, error?: string) => {
        if (settled) return;
        settled = true;
        const end = this.now();
        let record: ResponseRecord | undefined;
        if (this.recording) {
          record = {
            start,
            ms: end - start,
            route: options.route,
            instance: index,
            status,
            requestId,
            ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
            ...(error === undefined ? {} : { error }),
          };
          this.records.push(record);
        }
        resolve({ status, body, requestId, instance: index, start, end, error, record });
      };
      const outgoing = request(
        {
          host: target.host,
          port: target.port,
          method: options.method,
          path: options.path,
          headers,
          agent: target.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            finish(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')),
          );
          response.on('error', (error) => finish(0, '', error.message));
        },
      );
      outgoing.setTimeout(TIMEOUT_MS, () => outgoing.destroy(new Error('client timeout')));
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        finish(
          0,
          '',
          `${error.code ?? error.message}${outgoing.reusedSocket ? ' reused-socket' : ''}`,
        ),
      );
      outgoing.end(payload);
    });
  }

  close(): void {
    for (const target of this.instances) target.agent.destroy();
  }
}

export function parseJson<T>(body: string): T | undefined {
  try {
    return JSON.parse(body) as T;
  } catch {
    return undefined;
  }
}
