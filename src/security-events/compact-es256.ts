import { type KeyObject, sign } from 'node:crypto';

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * A compact JWS (RFC 7515 §7.1) signed with ES256, the signature written as JOSE wants it
 * (R ‖ S, RFC 7518 §3.4) by node:crypto itself. Every SET and logout token is signed once per
 * receiver on the logout's delivery path; jsonwebtoken's way there (option checks, jws
 * streams, a DER-to-JOSE re-encoding) cost about a quarter more per token.
 */
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
