import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Metrics } from './metrics';

/**
 * The route pattern that answered, or `unmatched`: a request no controller took (the 404
 * handler), or one the console's static files answered (a wildcard is no route of the API).
 */
function routeOf(request: FastifyRequest): string {
  const route = request.is404 ? undefined : request.routeOptions.url;
  return route === undefined || route.includes('*') ? 'unmatched' : route;
}

/**
 * Times every request once it has been answered, labelled by its route pattern (never the raw
 * URL: ids would explode the series). Fastify's `onResponse` hook with the reply's own clock:
 * no timer or listener per request.
 */
export function httpMetricsHook(metrics: Metrics) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    metrics.httpDuration.observe(
      { method: request.method, route: routeOf(request), status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  };
}
