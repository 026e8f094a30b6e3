import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from './config/app-config';
import { contentTypeMiddleware } from './common/http/content-type.middleware';
import { malformedBodyMiddleware } from './common/http/malformed-body.middleware';
import { requestIdMiddleware } from './common/http/request-id.middleware';
import { DomainError } from './common/errors/domain.error';

export const BODY_LIMIT = '100kb';

/** HTTP behaviour shared by `main.ts` and the tests, so both serve exactly the same app. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(contentTypeMiddleware);
  app.useBodyParser('json', { limit: BODY_LIMIT, strict: true });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false });
  app.use(malformedBodyMiddleware);
  app.useGlobalPipes(
    new ValidationPipe({
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
    }),
  );
  app.enableShutdownHooks();
  return app;
}
