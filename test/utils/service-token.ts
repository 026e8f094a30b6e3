import { randomUUID } from 'node:crypto';
import { sign, type SignOptions } from 'jsonwebtoken';
import { type DataSource } from 'typeorm';

/** Signs arbitrary claims with the service's own signing key, read from the database. */
export async function signWithServiceKey(
  dataSource: DataSource,
  claims: Record<string, unknown>,
  options: SignOptions = {},
): Promise<string> {
  const [key] = await dataSource.query<{ kid: string; private_key_pem: string }[]>(
    'SELECT kid, private_key_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1',
  );
  return sign(
    { roles: [], auth_time: Math.floor(Date.now() / 1000), ...claims },
    key.private_key_pem,
    {
      algorithm: 'ES256',
      keyid: key.kid,
      header: { alg: 'ES256', typ: 'at+jwt', kid: key.kid },
      issuer: 'auth-service',
      audience: 'auth-service',
      expiresIn: 900,
      jwtid: randomUUID(),
      ...options,
    },
  );
}
