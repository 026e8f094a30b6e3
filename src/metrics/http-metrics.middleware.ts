import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type Metrics } from './metrics';

/** Times every request, labelled by its route pattern (never the raw URL: ids would explode the series). */
export function httpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (request: Request, response: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer({ method: request.method });
    response.once('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path;
      end({
        route: route ? `${request.baseUrl}${route}` : 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  };
}
