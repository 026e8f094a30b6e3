import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { errorResponse } from './api-errors.decorator';

export const BEARER = 'bearer';
export const SERVICE_CLIENT = 'serviceClient';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The service's OpenAPI document, built from the controllers' metadata alone: `npm run openapi`
 * builds it from an application in preview mode (no database), the app serves the same one.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('auth-service')
    .setDescription(
      'Authentication: login, refresh with rotation and reuse detection, logout of one, all or other ' +
        'sessions with revocation that reaches access tokens, admin global logout, audit trail, and ' +
        'JWKS, introspection (RFC 7662) and revocation (RFC 7009) for other services.',
    )
    .setVersion('1.0')
    // Relative: the paths are served by the host that serves this document, whatever its URL.
    .addServer('/', 'The service that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'A SERVICE_CLIENTS id and secret' },
      SERVICE_CLIENT,
    )
    // Deny by default, like the global JWT guard: a route is public only through `@Public()`.
    .addSecurityRequirements(BEARER)
    // contentTypeMiddleware refuses a body of the wrong type on every route, before any guard.
    .addGlobalResponse(errorResponse(415))
    .build();
  // package.json's licence: proprietary, so there is no licence text to link to.
  config.info.license = { name: 'UNLICENSED' };
  return withPublicOperations(SwaggerModule.createDocument(app, config));
}

/**
 * `@Public()` marks an operation with an empty security requirement. Alone, it becomes
 * `security: []` (no credentials, overriding the document's bearer default); beside other
 * requirements (HTTP Basic), it is dropped, so those stand alone.
 */
function withPublicOperations(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation?.security) continue;
      operation.security = operation.security.filter(
        (requirement) => Object.keys(requirement).length > 0,
      );
    }
  }
  return document;
}

/** Serves the OpenAPI 3 document at /docs-json and Swagger UI at /docs. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}
