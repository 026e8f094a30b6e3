import { type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { adminConsole } from './admin/admin-console.static';
import { AppConfig } from './config/app-config';
import { DomainError } from './common/errors/domain.error';
import { ContractValidationPipe } from './common/http/contract-validation.pipe';
import { BODY_LIMIT, registerBodyParsers } from './http/body-parsers';
import { contentTypeHook } from './http/content-type.hook';
import { ProxyTrust } from './http/proxy-trust';
import { requestDecompressionHook } from './http/request-decompression.hook';
import { requestIdOf } from './http/request-id';
import { securityHeadersHook } from './http/security-headers';
import { RequestLog } from './logging/request-log';
import { httpMetricsHook } from './metrics/http-metrics.hook';
import { Metrics } from './metrics/metrics';
import { setupOpenApi } from './openapi/openapi.setup';

export { BODY_LIMIT };

const proxyTrusts = new WeakMap<FastifyInstance, ProxyTrust>();

/**
 * The HTTP server every copy of the service runs on (`main.ts`, the tests, the embedded
 * service): Fastify, with what must be fixed before the application exists. Express-like
 * routing (case-insensitive, a trailing slash ignored) so URLs that worked still do; long path
 * parameters reach the validation pipe (a 400 naming the parameter, not a 404).
 */
export function createHttpAdapter(): FastifyAdapter {
  const proxyTrust = new ProxyTrust();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: requestIdOf,
    // Node's own defaults, which the service had on Express (Fastify's are 72 s and none): an
    // idle keep-alive connection does not hold a shutdown for a minute, a slow sender is cut.
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    trustProxy: proxyTrust.trusts,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16_384 },
    // A path that is no valid percent-encoding never reaches a route: still the contract's 400.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', request.id);
      reply.send(
        error.code === 'FST_ERR_BAD_URL'
          ? new DomainError('validation_failed', 'The URL is not valid percent-encoding')
          : error,
      );
    },
  });
  proxyTrusts.set(adapter.getInstance(), proxyTrust);
  return adapter;
}

/** HTTP behaviour shared by `main.ts` and the tests, so both serve exactly the same app. */
export function configureApp(app: NestFastifyApplication): INestApplication {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  const proxyTrust = proxyTrusts.get(fastify);
  if (!proxyTrust)
    throw new Error('configureApp needs an application built on createHttpAdapter()');
  proxyTrust.set(config.trustProxy);
  const metrics = app.get(Metrics);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', httpMetricsHook(metrics));
  const requestLog = app.get(RequestLog);
  fastify.addHook('preHandler', requestLog.bindRequestId);
  fastify.addHook('onResponse', requestLog.logCompleted);
  // Helmet's defaults harden any browser that reaches the API; the console's page tightens its CSP.
  fastify.addHook('onRequest', securityHeadersHook());
  // The admin console's static files (built by `npm run build`), served by this same process.
  void app.register(adminConsole);
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
      // As the Express cors middleware did: an OPTIONS without Access-Control-Request-Method
      // is still answered as a preflight, not refused with 400.
      strictPreflight: false,
    });
  }
  fastify.addHook('onRequest', contentTypeHook);
  fastify.addHook('preParsing', requestDecompressionHook);
  registerBodyParsers(fastify);
  setupOpenApi(app);
  app.useGlobalPipes(new ContractValidationPipe());
  return app;
}
