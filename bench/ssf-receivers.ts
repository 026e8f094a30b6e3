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
    // A long poll outlives its stream's deletion by at most this: runs end promptly.
    SSF_POLL_TIMEOUT: '2s',
  };
}

/** Both streams exist, and a receiver drains the poll stream, until `close()`. */
export class Receivers {
  acknowledged = 0;
  private polling = true;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly serviceUrl: string,
    private readonly pollStream: string,
  ) {
    this.loop = this.drain();
  }

  static async open(serviceUrl: string, sink: PushSink): Promise<Receivers> {
    await Receivers.deleteAll(serviceUrl);
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
    return new Receivers(serviceUrl, poll.body.stream_id as string);
  }

  /** No stream left for either client: the "none" runs. */
  static async deleteAll(serviceUrl: string): Promise<void> {
    for (const client of Object.values(SSF_CLIENTS)) {
      const listed = await call(`${serviceUrl}/ssf/streams`, client, 'GET');
      if (listed.status !== 200) throw new Error(`GET /ssf/streams answered ${listed.status}`);
      const streams = (Array.isArray(listed.body) ? listed.body : [listed.body]) as {
        stream_id?: string;
      }[];
      for (const stream of streams.filter((entry) => entry.stream_id)) {
        const deleted = await call(
          `${serviceUrl}/ssf/streams?stream_id=${stream.stream_id}`,
          client,
          'DELETE',
        );
        if (deleted.status !== 204) {
          throw new Error(`DELETE /ssf/streams answered ${deleted.status}`);
        }
      }
    }
  }

  /** A receiver as RFC 8936 describes it: long polls, acknowledging what it got in the next one. */
  private async drain(): Promise<void> {
    let ack: string[] = [];
    while (this.polling) {
      const answer = await call(
        `${this.serviceUrl}/ssf/poll/${this.pollStream}`,
        SSF_CLIENTS.poller,
        'POST',
        { ack, maxEvents: 500, returnImmediately: false },
      ).catch(() => undefined);
      if (!answer || answer.status !== 200) {
        await new Promise((done) => setTimeout(done, 200));
        continue;
      }
      this.acknowledged += ack.length;
      ack = Object.keys((answer.body.sets as Record<string, string> | undefined) ?? {});
    }
  }

  async close(): Promise<void> {
    this.polling = false;
    await Receivers.deleteAll(this.serviceUrl);
    await this.loop;
  }
}
