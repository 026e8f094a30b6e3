import { STATUS_CODES } from 'node:http';
import { type Response } from 'supertest';

/**
 * Asserts the contract's error shape: exactly `{ statusCode, error, message, code }` as JSON,
 * with the status's reason phrase, a human message and a stable code, and nothing that looks
 * like a stack trace. Returns the body for further checks.
 */
export function expectContractError(
  response: Response,
  status: number,
  code?: string,
): { statusCode: number; error: string; message: string; code: string } {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  expect(body.statusCode).toBe(status);
  expect(body.error).toBe(STATUS_CODES[status]);
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  expect(body.code).toMatch(/^[a-z][a-z0-9_]*$/);
  if (code !== undefined) expect(body.code).toBe(code);
  expect(response.text).not.toMatch(/\bstack\b|\n\s+at |node_modules|\.ts:\d+/i);
  return body as { statusCode: number; error: string; message: string; code: string };
}
