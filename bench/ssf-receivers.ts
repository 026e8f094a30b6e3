/**
 * Security-event receivers for `npm run bench`'s `ssf` phase (issue 10's "< 5 % of logout
 * throughput"): one RFC 8936 poll stream, drained by a receiver loop in this process, and one
 * RFC 8935 push stream to a local HTTP receiver that answers 202. They are created before a
 * "with receivers" run and deleted after it, so the service and its configuration are the same
 * in both kinds of run and only the streams differ.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const POLL = 'urn:ietf:rfc:8936';
const PUSH = 'urn:ietf:rfc:8935';

/** Two service clients: SSF allows one stream per client, and we want one of each kind. */
export const SSF_CLIENTS = {
  poller: { id: 'bench-poller', secret: 'bench-poller-secret-0123456789abcdef' },
  pusher: { id: 'bench-pusher', secret: 'bench-pusher-secret-0123456789abcdef' },
} as const;

type Client = (typeof SSF_CLIENTS)[keyof typeof SSF_CLIENTS];

const basic = (client: Client) =>
  `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

async function call(
  url: string,
  client: Client,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: basic(client),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** The push receiver: 202 to every SET, 400 to the empty creation probe (as RFC 8935 says). */
export class PushSink {
  private constructor(
    private readonly server: Server,
    private readonly counter: { received: number },
  ) {}

  static async start(): Promise<PushSink> {
    const counter = { received: 0 };
    const server = createServer((request, response) => {
      let size = 0;
      request.on('data', (chunk: Buffer) => (size += chunk.length));
      request.on('end', () => {
        if (size > 0) counter.received++;
        response.writeHead(size === 0 ? 400 : 202).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new PushSink(server, counter);
  }

  get received(): number {
    return this.counter.received;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** The service environment the receivers need (set for every phase, so runs differ only in streams). */
export function ssfServiceEnv(serviceUrl: string, sink: PushSink): Record<string, string> {
  return {
    PUBLIC_URL: serviceUrl,
    SERVICE_CLIENTS: JSON.stringify(
      Object.values(SSF_CLIENTS).map((client) => ({
        client_id: client.id,
        client_secret: client.secret,
      })),
    ),
    SSF_PUSH_ALLOWED_ORIGINS: sink.origin,
    // The cost counts only the delivery done within the measured run, so push must keep up:
    // at the default bound (4 in flight) a saturated service pushed ~60 SETs/s here and left
    // most of them queued. 64 lets the push follow the logouts (the run reports what is left).
    SSF_PUSH_CONCURRENCY: '64',
    // A long poll outlives its stream's deletion by at most this: runs end promptly.
    SSF_POLL_TIMEOUT: '2s',
  };
}

/**
 * The two streams, created before any session has ended (so there is nothing to back-fill: a
 * new stream is back-filled with the last ACCESS_TOKEN_TTL of endings) and then switched
 * between `disabled` (no event is recorded for them: the "none" runs) and `enabled` (the
 * "receivers" runs, with the poll stream drained by a receiver loop in this process).
 */
export class Receivers {
  acknowledged = 0;
  private polling = false;
  private loop?: Promise<void>;

  private constructor(
    private readonly serviceUrl: string,
    private readonly streams: { client: Client; id: string }[],
  ) {}

  static async create(serviceUrl: string, sink: PushSink): Promise<Receivers> {
    const poll = await call(`${serviceUrl}/ssf/streams`, SSF_CLIENTS.poller, 'POST', {
      delivery: { method: POLL },
      events_requested: [SESSION_REVOKED],
    });
    const push = await call(`${serviceUrl}/ssf/streams`, SSF_CLIENTS.pusher, 'POST', {
      delivery: { method: PUSH, endpoint_url: `${sink.origin}/events` },
      events_requested: [SESSION_REVOKED],
    });
    if (poll.status !== 201 || push.status !== 201) {
      throw new Error(
        `creating the streams answered ${poll.status} / ${push.status}: ` +
          JSON.stringify([poll.body, push.body]),
      );
    }
    const receivers = new Receivers(serviceUrl, [
      { client: SSF_CLIENTS.poller, id: poll.body.stream_id as string },
      { client: SSF_CLIENTS.pusher, id: push.body.stream_id as string },
    ]);
    await receivers.setStatus('disabled');
    return receivers;
  }

  /** Events are recorded for both streams, pushed, and polled by the receiver loop. */
  async enable(): Promise<void> {
    await this.setStatus('enabled');
    this.polling = true;
    this.loop = this.drain(this.streams[0].id);
  }

  /** No event is recorded for either stream; the receiver loop stops. */
  async disable(): Promise<void> {
    this.polling = false;
    await this.setStatus('disabled');
    await this.loop;
  }

  private async setStatus(status: 'enabled' | 'disabled'): Promise<void> {
    for (const { client, id } of this.streams) {
      const answer = await call(`${this.serviceUrl}/ssf/streams/status`, client, 'POST', {
        stream_id: id,
        status,
      });
      if (answer.status !== 200) {
        throw new Error(`POST /ssf/streams/status answered ${answer.status}`);
      }
    }
  }

  /** A receiver as RFC 8936 describes it: long polls, acknowledging what it got in the next one. */
  private async drain(streamId: string): Promise<void> {
    let ack: string[] = [];
    while (this.polling || ack.length > 0) {
      const answer = await call(
        `${this.serviceUrl}/ssf/poll/${streamId}`,
        SSF_CLIENTS.poller,
        'POST',
        { ack, maxEvents: 500, returnImmediately: !this.polling },
      ).catch(() => undefined);
      if (!answer || answer.status !== 200) {
        await new Promise((done) => setTimeout(done, 200));
        continue;
      }
      this.acknowledged += ack.length;
      ack = Object.keys((answer.body.sets as Record<string, string> | undefined) ?? {});
      if (!this.polling) break;
    }
  }
}
