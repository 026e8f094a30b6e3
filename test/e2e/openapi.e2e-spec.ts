import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { type App } from 'supertest/types';
import { type OpenAPIV3 } from 'openapi-types';
import { createTestApp, type TestApp } from '../utils/create-test-app';

/** Every endpoint of the contract (docs/), as OpenAPI writes paths. */
const CONTRACT = [
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/logout',
  'POST /auth/reauthenticate',
  'POST /auth/password',
  'GET /auth/me',
  'GET /auth/sessions',
  'DELETE /auth/sessions/{id}',
  'POST /admin/users/{userId}/logout',
  'GET /admin/users/{userId}/sessions',
  'GET /admin/audit-events',
  'GET /.well-known/jwks.json',
  'GET /.well-known/openid-configuration',
  'POST /oauth/introspect',
  'POST /oauth/revoke',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
];

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const COMMITTED = join(__dirname, '..', '..', 'docs', 'openapi.json');

/** JSON pointers where two documents differ (at most `limit`), so a drift names what changed. */
function differences(served: unknown, committed: unknown, at = '', limit = 10): string[] {
  if (JSON.stringify(served) === JSON.stringify(committed)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null;
  if (
    !isObject(served) ||
    !isObject(committed) ||
    Array.isArray(served) !== Array.isArray(committed)
  )
    return [at || '/'];
  const keys = [...new Set([...Object.keys(served), ...Object.keys(committed)])];
  return keys
    .flatMap((key) =>
      differences(
        served[key],
        committed[key],
        `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        limit,
      ),
    )
    .slice(0, limit);
}

function operations(document: OpenAPIV3.Document): Map<string, OpenAPIV3.OperationObject> {
  const found = new Map<string, OpenAPIV3.OperationObject>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (operation) found.set(`${method.toUpperCase()} ${path}`, operation);
    }
  }
  return found;
}

/** The routes the app really serves from its controllers, written the OpenAPI way. */
function servedRoutes(t: TestApp): string[] {
  return t.routes.flatMap((route) => {
    // Swagger's own routes, and the admin console's page and files: not API operations.
    if (route.path.includes('*') || /^\/(docs|admin$)/.test(route.path)) return [];
    return [`${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`];
  });
}

describe('OpenAPI description', () => {
  let t: TestApp;
  let document: OpenAPIV3.Document;

  beforeAll(async () => {
    t = await createTestApp();
    const response = await request(t.app.getHttpServer() as App)
      .get('/docs-json')
      .expect(200);
    document = response.body as OpenAPIV3.Document;
  });
  afterAll(() => t.close());

  it('is the document committed as docs/openapi.json', () => {
    const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    const drift = differences(document, committed);
    if (drift.length > 0) {
      throw new Error(
        `docs/openapi.json differs from what the app serves at ${drift.join(', ')}: ` +
          'run `npm run openapi` and commit docs/openapi.json',
      );
    }
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
  });

  it('describes every route the app serves and every endpoint of the contract', () => {
    const described = [...operations(document).keys()];
    expect(described).toEqual(expect.arrayContaining(servedRoutes(t)));
    expect(described).toEqual(expect.arrayContaining(CONTRACT));
    expect(servedRoutes(t).length).toBeGreaterThanOrEqual(CONTRACT.length);
  });

  it('declares the bearer and basic security schemes and uses them where they apply', () => {
    expect(document.components?.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      serviceClient: { type: 'http', scheme: 'basic' },
    });
    const ops = operations(document);
    for (const key of ['POST /auth/logout', 'GET /auth/me', 'GET /admin/audit-events']) {
      expect(ops.get(key)?.security).toEqual([{ bearer: [] }]);
    }
    for (const key of ['POST /oauth/introspect', 'POST /oauth/revoke']) {
      expect(ops.get(key)?.security).toEqual([{ serviceClient: [] }]);
    }
    for (const key of ['POST /auth/login', 'POST /auth/register', 'GET /health/live']) {
      expect(ops.get(key)?.security).toEqual([]);
    }
  });

  it('gives request and response schemas, and error responses in the contract shape', () => {
    const ops = operations(document);
    const errorSchema = document.components?.schemas?.ErrorResponse as OpenAPIV3.SchemaObject;
    expect(errorSchema.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'message']),
    );
    for (const key of CONTRACT.filter((route) => route.startsWith('POST /auth/'))) {
      const body = ops.get(key)?.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      expect({ key, schema: body?.content['application/json']?.schema }).toEqual({
        key,
        schema: expect.objectContaining({ $ref: expect.any(String) }),
      });
    }
    for (const key of ['POST /oauth/introspect', 'POST /oauth/revoke']) {
      const body = ops.get(key)?.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      expect(body?.content['application/x-www-form-urlencoded']).toBeDefined();
    }
    for (const key of CONTRACT.filter((route) => /\/(auth|admin|oauth)\//.test(route))) {
      const responses = ops.get(key)?.responses ?? {};
      const success = Object.keys(responses).filter((status) => status.startsWith('2'));
      const errors = Object.keys(responses).filter((status) => /^[45]/.test(status));
      expect({ key, success: success.length > 0, errors: errors.length > 0 }).toEqual({
        key,
        success: true,
        errors: true,
      });
      for (const status of errors) {
        const content = (responses[status] as OpenAPIV3.ResponseObject).content;
        expect({ key, status, schema: content?.['application/json']?.schema }).toEqual({
          key,
          status,
          schema: { $ref: '#/components/schemas/ErrorResponse' },
        });
      }
    }
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await request(t.app.getHttpServer()).get('/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
  });
});
