import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { destination, type DestinationStream } from 'pino';
import { AppConfig } from '../config/app-config';
import { RequestLog } from './request-log';

/** Where log lines go: stdout, or a stream a test reads back. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** Secrets never reach a log line, whatever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.client_secret',
];

let stdout: DestinationStream | undefined;

/**
 * Standard output through pino's own buffered writer (sonic-boom): lines written while a write
 * is under way go out together, instead of one `write` per line through the stdout stream.
 * pino flushes it synchronously when the process exits.
 */
function standardOutput(): DestinationStream {
  stdout ??= destination({ dest: 1, sync: false });
  return stdout;
}

@Global()
@Module({
  providers: [{ provide: LOG_DESTINATION, useFactory: standardOutput }],
  exports: [LOG_DESTINATION],
})
class LogDestinationModule {}

/** Structured JSON logs (pino): one line per request and per message, each with its request id. */
@Module({
  providers: [RequestLog],
  exports: [RequestLog],
  imports: [
    LogDestinationModule,
    LoggerModule.forRootAsync({
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: (config: AppConfig, logDestination: DestinationStream) => ({
        // Only the root logger of pino-http is used (application messages): the request line is
        // `RequestLog`'s, from Fastify hooks, so no per-request middleware is mounted.
        forRoutes: [],
        pinoHttp: [
          {
            level: config.logLevel,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          },
          logDestination,
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
