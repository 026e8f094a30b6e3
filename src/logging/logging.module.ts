import { type IncomingMessage } from 'node:http';
import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

/** The raw request as middie hands it to pino-http: Fastify's id and the URL before any prefix strip. */
type RawRequest = IncomingMessage & { id?: string; originalUrl?: string };

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

@Global()
@Module({
  providers: [{ provide: LOG_DESTINATION, useValue: process.stdout }],
  exports: [LOG_DESTINATION],
})
class LogDestinationModule {}

/** Structured JSON logs (pino): one line per request and per message, each with its request id. */
@Module({
  imports: [
    LogDestinationModule,
    LoggerModule.forRootAsync({
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: (config: AppConfig, destination: NodeJS.WritableStream) => ({
        pinoHttp: [
          {
            level: config.logLevel,
            // Fastify's request id (`requestIdOf`), which middie copies onto the raw request.
            genReqId: (request: IncomingMessage) => (request as RawRequest).id ?? '',
            customProps: (request: IncomingMessage) => ({ requestId: (request as RawRequest).id }),
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            // Only what an operator needs: no headers, bodies or query values that could hold secrets.
            serializers: {
              req: (request: {
                method?: string;
                url?: string;
                remoteAddress?: string;
                headers?: Record<string, unknown>;
                raw?: { ip?: string };
              }) => ({
                method: request.method,
                path: request.url?.split('?')[0],
                // The client as Fastify resolves it (X-Forwarded-For under TRUST_PROXY), as audited.
                ip: request.raw?.ip ?? request.remoteAddress,
                remoteAddress: request.remoteAddress,
                userAgent: request.headers?.['user-agent'],
              }),
              res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
            },
            // Probes and scrapes would drown the request log.
            autoLogging: {
              ignore: (request: IncomingMessage) =>
                /^\/(health|metrics)/.test(
                  (request as RawRequest).originalUrl ?? request.url ?? '',
                ),
            },
          },
          destination,
        ],
      }),
    }),
  ],
})
export class LoggingModule {}
