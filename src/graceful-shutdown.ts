import { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type INestApplication, type LoggerService } from '@nestjs/common';

/** In-flight requests get this long to finish after SIGTERM before the process gives up on them. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish (bounded),
 * then close the database and Redis through Nest's shutdown hooks and exit 0. Every response
 * already sent was committed first, so nothing acknowledged is lost.
 *
 * Keep-alive connections are the subtle part: `server.close()` only closes the idle ones, and
 * a connection busy at that moment would stay open after its response, still taking requests,
 * until the client or the keep-alive timeout closes it. So every response from the signal on
 * says `Connection: close`, and its connection is closed once it has been sent.
 */
export class GracefulShutdown {
  private stopping = false;
  private readonly inFlight = new Set<ServerResponse>();

  constructor(
    private readonly app: INestApplication,
    private readonly logger: LoggerService,
  ) {}

  listen(): void {
    const server = this.app.getHttpServer() as Server;
    // Before Fastify sees the request, so the header is in place whatever answers it.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      if (this.stopping) {
        response.setHeader('Connection', 'close');
        return;
      }
      this.inFlight.add(response);
      response.once('close', () => this.inFlight.delete(response));
    });
    // A second signal while draining changes nothing: the drain is already bounded.
    process.on('SIGTERM', () => void this.stop('SIGTERM'));
    process.on('SIGINT', () => void this.stop('SIGINT'));
  }

  private async stop(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logger.log(`${signal}: draining in-flight requests`, 'Shutdown');
    const forced = setTimeout(() => {
      this.logger.error(
        `In-flight requests did not finish within ${DRAIN_TIMEOUT_MS} ms`,
        undefined,
        'Shutdown',
      );
      process.exit(1);
    }, DRAIN_TIMEOUT_MS + 5_000);
    forced.unref();
    try {
      await this.drain(this.app.getHttpServer() as Server);
      await this.app.close();
      this.logger.log('Closed the database and Redis; bye', 'Shutdown');
      process.exit(0);
    } catch (error) {
      this.logger.error(`Shutdown failed: ${String(error)}`, undefined, 'Shutdown');
      process.exit(1);
    }
  }

  /** Resolves once every open connection has finished its request (idle keep-alives are closed). */
  private drain(server: Server): Promise<void> {
    for (const response of this.inFlight) this.closeAfter(response);
    this.inFlight.clear();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.closeAllConnections();
        resolve();
      }, DRAIN_TIMEOUT_MS);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  /** Ends the connection of an in-flight response once the response has been sent. */
  private closeAfter(response: ServerResponse): void {
    if (!response.headersSent) {
      response.setHeader('Connection', 'close');
      return;
    }
    // Headers already out (a streamed body): close the socket after the last byte instead.
    const socket = response.socket;
    response.once('finish', () => socket?.end());
  }
}
