import { randomUUID } from 'node:crypto';
import { type INestApplication } from '@nestjs/common';
import request from 'supertest';

/** The body of a 200 from `POST /auth/login` or `POST /auth/refresh`. */
export interface TokenPairBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  sessionId: string;
  user: { id: string; email: string; roles: string[] };
}

export interface RegisteredUserBody {
  id: string;
  email: string;
  createdAt: string;
}

export const DEFAULT_PASSWORD = 'correct horse battery staple';

/** An address no other test uses, so tests never depend on each other's users. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${randomUUID()}@example.test`;
}

export async function registerUser(
  app: INestApplication,
  credentials: { email?: string; password?: string } = {},
): Promise<{ email: string; password: string; user: RegisteredUserBody }> {
  const email = credentials.email ?? uniqueEmail();
  const password = credentials.password ?? DEFAULT_PASSWORD;
  const response = await request(app.getHttpServer())
    .post('/auth/register')
    .send({ email, password })
    .expect(201);
  return { email, password, user: response.body as RegisteredUserBody };
}

export async function login(
  app: INestApplication,
  email: string,
  password: string = DEFAULT_PASSWORD,
): Promise<TokenPairBody> {
  const response = await request(app.getHttpServer())
    .post('/auth/login')
    .send({ email, password })
    .expect(200);
  return response.body as TokenPairBody;
}

/** A fresh user with one live session. */
export async function registerAndLogin(
  app: INestApplication,
  credentials: { email?: string; password?: string } = {},
): Promise<{ email: string; password: string; user: RegisteredUserBody; tokens: TokenPairBody }> {
  const registered = await registerUser(app, credentials);
  const tokens = await login(app, registered.email, registered.password);
  return { ...registered, tokens };
}

/** `POST /auth/refresh` with `token`; the caller asserts the status. */
export function refresh(app: INestApplication, refreshToken: string): request.Test {
  return request(app.getHttpServer()).post('/auth/refresh').send({ refreshToken });
}
