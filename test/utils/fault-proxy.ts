import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What happens to a new connection:
 * - `forward`: piped to the target, as if the proxy were not there;
 * - `refuse`: accepted and reset at once (the client sees ECONNRESET / "connection terminated");
 * - `blackhole`: accepted and held open, never forwarded and never answered (a hang: the
 *   client's own connect or query timeout is all that ends it).
 */
export type FaultMode = 'forward' | 'refuse' | 'blackhole';

export interface ProxyTarget {
  host: string;
  port: number;
}

/**
 * A TCP proxy in front of a real server (PostgreSQL, Redis) that injects network faults
 * without touching the server itself, which other test runs on the machine share.
 */
export class FaultProxy {
  private mode: FaultMode = 'forward';
  /** Every socket the proxy holds, client side and upstream side. */
  private readonly sockets = new Set<Socket>();
  private accepted = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: ProxyTarget,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target: ProxyTarget): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new FaultProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** Parses `postgres://…` or `redis://…` and proxies its host and port. */
  static forUrl(url: string, defaultPort: number): Promise<FaultProxy> {
    const parsed = new URL(url);
    return FaultProxy.start({
      host: parsed.hostname || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : defaultPort,
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The same URL with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Connections accepted so far, whatever became of them. */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** Sockets currently open through (or held by) the proxy. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Resets every current connection, both ends; new ones are handled as the mode says. */
  cut(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  /** Cuts every connection and resets every new one. */
  refuse(): void {
    this.mode = 'refuse';
    this.cut();
  }

  /** Cuts every connection and holds every new one open without ever answering. */
  blackhole(): void {
    this.mode = 'blackhole';
    this.cut();
  }

  /** Forwards new connections again; connections held by a blackhole are reset. */
  restore(): void {
    this.mode = 'forward';
    this.cut();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A reset is the point of this proxy: never let it surface as an unhandled 'error'.
    socket.on('error', () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.accepted++;
    this.track(client);
    switch (this.mode) {
      case 'refuse':
        client.resetAndDestroy();
        return;
      case 'blackhole':
        // Accepted by the kernel, never read from or answered.
        client.pause();
        return;
      case 'forward': {
        const upstream = connect({ host: this.target.host, port: this.target.port });
        upstream.setNoDelay(true);
        this.track(upstream);
        const closeBoth = () => {
          client.destroy();
          upstream.destroy();
        };
        client.once('close', closeBoth);
        upstream.once('close', closeBoth);
        client.pipe(upstream);
        upstream.pipe(client);
        return;
      }
    }
  }
}
