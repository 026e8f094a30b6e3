import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { ADMIN_CONSOLE_ASSETS, ADMIN_CONSOLE_ROOT } from './admin/admin-console.static';
import { AppConfig } from './config/app-config';
import { contentTypeMiddleware } from './common/http/content-type.middleware';
import { ContractValidationPipe } from './common/http/contract-validation.pipe';
import { malformedBodyMiddleware, verifyUtf8Body } from './common/http/malformed-body.middleware';
import { requestIdMiddleware } from './common/http/request-id.middleware';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { Metrics } from './metrics/metrics';
import { setupOpenApi } from './openapi/openapi.setup';

export const BODY_LIMIT = '100kb';

/** HTTP behaviour shared by `main.ts` and the tests, so both serve exactly the same app. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(Metrics)));
  // Helmet's defaults harden any browser that reaches the API; the console's page tightens its CSP.
  app.use(helmet());
  // The admin console's static files (built by `npm run build`), served by this same process.
  app.useStaticAssets(ADMIN_CONSOLE_ROOT, ADMIN_CONSOLE_ASSETS);
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
  app.useBodyParser('json', { limit: BODY_LIMIT, strict: true, verify: verifyUtf8Body });
  app.useBodyParser('urlencoded', { limit: BODY_LIMIT, extended: false, verify: verifyUtf8Body });
  app.use(malformedBodyMiddleware);
  setupOpenApi(app);
  app.useGlobalPipes(new ContractValidationPipe());
  return app;
}
