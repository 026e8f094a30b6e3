import { setupOpenApi } from './openapi/openapi.setup';
import {
  type ArgumentMetadata,
  type INestApplication,
  ValidationPipe,
  type ValidationPipeOptions,
} from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { type IncomingMessage } from 'node:http';
import { type NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { AppConfig } from './config/app-config';
import { unsafeInputShape } from './common/http/body-shape';
import { contentTypeMiddleware } from './common/http/content-type.middleware';
import {
  INVALID_UTF8_BODY,
  malformedBodyMiddleware,
} from './common/http/malformed-body.middleware';
import { requestIdMiddleware } from './common/http/request-id.middleware';
import { DomainError } from './common/errors/domain.error';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { Metrics } from './metrics/metrics';

export const BODY_LIMIT = '100kb';

/**
 * Refuses a body that is not valid UTF-8 (RFC 8259 requires it of JSON) instead of letting
 * the decoder replace bad bytes with U+FFFD, which would store a password or an email other
 * than the one the client sent.
 */
function verifyUtf8(_request: IncomingMessage, _response: unknown, body: Buffer, encoding: string) {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) {
    throw Object.assign(new Error('Request body is not valid UTF-8'), { type: INVALID_UTF8_BODY });
  }
}

/**
 * The contract's validation, after refusing what no DTO can safely take: nesting deep enough
 * to overflow a recursive walk, and keys that reach prototypes (`__proto__`, `constructor`),
 * which the whitelist does not see. Refused inside the route, so a refused logout is audited.
 */
class ContractValidationPipe extends ValidationPipe {
  constructor(
    options: ValidationPipeOptions,
    private readonly refuse: (message: string) => Error,
  ) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = unsafeInputShape(value);
      if (problem) throw this.refuse(problem);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** HTTP behaviour shared by `main.ts` and the tests, so both serve exactly the same app. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  // An API serves no HTML; helmet's defaults still harden any browser that reaches it.
  app.use(helmet());
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: [
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
        'WWW-Authenticate',
      ],
      maxAge: 600,
    });
  }
  app.use(contentTypeMiddleware);
  app.useBodyParser('json', { limit: BODY_LIMIT, strict: true, verify: verifyUtf8 });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false, verify: verifyUtf8 });
  app.use(malformedBodyMiddleware);
  setupOpenApi(app);
  app.useGlobalPipes(
    new ContractValidationPipe(
      {
        whitelist: true,
        forbidNonWhitelisted: true,
        forbidUnknownValues: true,
        transform: true,
        exceptionFactory: (errors) =>
          new DomainError(
            'validation_failed',
            errors
              .flatMap((error) =>
                Object.values(
                  error.constraints ?? { [error.property]: `${error.property} is invalid` },
                ),
              )
              .join('; '),
          ),
      },
      (message) => new DomainError('validation_failed', message),
    ),
  );
  return app;
}
