import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface ReceivedPush {
  path: string;
  contentType: string | undefined;
  body: string;
}

/** How the receiver answers one request: a status, and a Location for redirects. */
export type Answer = { status: number; location?: string };

/**
 * A real HTTP receiver on 127.0.0.1 for push (RFC 8935) and back-channel logout tests. It
 * records every request and answers each with `answer(request)` (202 by default).
 */
export class PushReceiver {
  readonly received: ReceivedPush[] = [];
  answer: (push: ReceivedPush) => Answer = () => ({ status: 202 });
  /** Requests this matches are held unanswered until `release()` (a slow receiver). */
  hold?: (push: ReceivedPush) => boolean;
  private server?: Server;
  private waiters: (() => void)[] = [];
  private held: (() => void)[] = [];

  private constructor(public port: number) {}

  static async start(port = 0): Promise<PushReceiver> {
    const receiver = new PushReceiver(port);
    await receiver.listen();
    return receiver;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again) on the same port: a receiver that was down comes back. */
  async listen(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Goes down: connections are refused until `listen()`. */
  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
    this.server = undefined;
  }

  /** How many requests are held unanswered now. */
  get holding(): number {
    return this.held.length;
  }

  /** Answers the request held longest. */
  releaseOne(): void {
    this.held.shift()?.();
  }

  /** Answers every held request and holds no more. */
  release(): void {
    this.hold = undefined;
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  /** Resolves once `predicate` holds for what was received (checked on every request). */
  async until(predicate: (received: ReceivedPush[]) => boolean): Promise<void> {
    while (!predicate(this.received)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    request.setEncoding('utf8');
    for await (const chunk of request) body += chunk as string;
    const push = { path: request.url ?? '', contentType: request.headers['content-type'], body };
    if (this.hold?.(push)) {
      const released = new Promise<void>((resolve) => this.held.push(resolve));
      this.wake();
      await released;
    }
    this.received.push(push);
    const answer = this.answer(push);
    response.writeHead(answer.status, answer.location ? { Location: answer.location } : {});
    response.end();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
