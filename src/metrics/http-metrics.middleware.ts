import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type Metrics } from './metrics';

/**
 * The route pattern that answered, or `unmatched`. Middleware mounted for every path (the
 * request logger's `{/*splat}`) leaves its own wildcard "route" on requests no controller
 * matched: that is no route of the service, and must not pass for one.
 */
function routeOf(request: Request): string {
  const path = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('*')) return 'unmatched';
  return `${request.baseUrl}${path}`;
}

/** Times every request, labelled by its route pattern (never the raw URL: ids would explode the series). */
export function httpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (request: Request, response: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer({ method: request.method });
    response.once('finish', () => {
      end({ route: routeOf(request), status: String(response.statusCode) });
    });
    next();
  };
}
