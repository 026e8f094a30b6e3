import request from 'supertest';
import { type App } from 'supertest/types';
import { DEFAULT_PASSWORD, uniqueEmail } from './user.factory';

/*
 * Session-shaped factories: a user signed in on one or more devices, as logout, revocation
 * and admin tests need them. `user.factory.ts` has the single-login helpers they build on.
 */

export interface LoggedIn {
  userId: string;
  email: string;
  password: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a fresh user (unique email) and returns its credentials. */
export async function registerUser(
  server: App,
  password = DEFAULT_PASSWORD,
): Promise<{ userId: string; email: string; password: string }> {
  const email = uniqueEmail();
  const response = await request(server)
    .post('/auth/register')
    .send({ email, password })
    .expect(201);
  return { userId: (response.body as { id: string }).id, email, password };
}

/** Logs a user in once more: a new session on a new "device". */
export async function login(
  server: App,
  user: { userId: string; email: string; password: string },
  userAgent = 'test-device',
): Promise<LoggedIn> {
  const response = await request(server)
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ email: user.email, password: user.password })
    .expect(200);
  const body = response.body as { sessionId: string; accessToken: string; refreshToken: string };
  return {
    ...user,
    sessionId: body.sessionId,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

/** A user signed in on `devices` sessions. */
export async function userWithSessions(server: App, devices: number): Promise<LoggedIn[]> {
  const user = await registerUser(server);
  const sessions: LoggedIn[] = [];
  for (let device = 0; device < devices; device++)
    sessions.push(await login(server, user, `device-${device}`));
  return sessions;
}

/** Logs in with email and password (an existing account, such as the bootstrap admin). */
export async function loginWith(
  server: App,
  email: string,
  password: string,
  userAgent = 'test-device',
): Promise<LoggedIn> {
  const response = await request(server)
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ email, password })
    .expect(200);
  const body = response.body as {
    sessionId: string;
    accessToken: string;
    refreshToken: string;
    user: { id: string };
  };
  return {
    userId: body.user.id,
    email,
    password,
    sessionId: body.sessionId,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}
