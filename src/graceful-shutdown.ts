import { type INestApplication, type LoggerService } from '@nestjs/common';
import { type Server } from 'node:http';

/** In-flight requests get this long to finish after SIGTERM before the process gives up on them. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish (bounded),
 * then close the database and Redis through Nest's shutdown hooks and exit 0. Every response
 * already sent was committed first, so nothing acknowledged is lost.
 */
export class GracefulShutdown {
  private stopping = false;

  constructor(
    private readonly app: INestApplication,
    private readonly logger: LoggerService,
  ) {}

  listen(): void {
    process.once('SIGTERM', () => void this.stop('SIGTERM'));
    process.once('SIGINT', () => void this.stop('SIGINT'));
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
}
