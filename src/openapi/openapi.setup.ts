import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const BEARER = 'bearer';
export const SERVICE_CLIENT = 'serviceClient';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('auth-service')
    .setDescription(
      'Authentication: login, refresh with rotation and reuse detection, logout of one, all or other ' +
        'sessions with revocation that reaches access tokens, admin global logout, audit trail, and ' +
        'JWKS, introspection (RFC 7662) and revocation (RFC 7009) for other services.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER)
    .addBasicAuth(
      { type: 'http', scheme: 'basic', description: 'A SERVICE_CLIENTS id and secret' },
      SERVICE_CLIENT,
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the OpenAPI 3 document at /docs-json and Swagger UI at /docs. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    raw: ['json'],
  });
}
