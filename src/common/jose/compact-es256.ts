import { type KeyObject, sign, verify } from 'node:crypto';

// JWS compact serialization (RFC 7515 §7.1) with ES256, both ways, by node:crypto itself. ES256
// is the only algorithm this service signs with or accepts; callers check a token's `alg`,
// `typ` and `kid` before its signature is looked at. jsonwebtoken's way (option checks, jws
// streams, a DER re-encoding of the signature, a second decode) cost a quarter more per SET
// signed and a third of a logout's access-token check.

/** RFC 7518 §3.4: an ES256 signature is R and S, 32 bytes each, concatenated (not DER). */
const SIGNATURE_BYTES = 64;

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** `header` and `payload` as a compact JWS signed with ES256 by `key`. */
export function compactEs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
): string {
  const signed = `${base64url(header)}.${base64url(payload)}`;
  const signature = sign('sha256', Buffer.from(signed, 'latin1'), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return `${signed}.${signature.toString('base64url')}`;
}

/**
 * The decoded payload of a compact JWS whose ES256 signature `key` verifies, or `undefined`.
 * The caller has checked that `token` is three base64url parts (so reading it as latin1 is
 * reading its ASCII).
 */
export function verifiedEs256Payload(token: string, key: KeyObject): unknown {
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(payloadEnd + 1), 'base64url');
  if (signature.length !== SIGNATURE_BYTES) return undefined;
  const signed = Buffer.from(token.slice(0, payloadEnd), 'latin1');
  if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)) return undefined;
  try {
    return JSON.parse(
      Buffer.from(token.slice(headerEnd + 1, payloadEnd), 'base64url').toString('utf8'),
    ) as unknown;
  } catch {
    return undefined;
  }
}
