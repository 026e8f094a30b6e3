import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { compactEs256, verifiedEs256Payload } from './compact-es256';

describe('compactEs256', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKey = createPublicKey(privateKey);
  const part = (token: string, index: number) =>
    JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as unknown;

  it('writes the header and payload as given, signed over them as RFC 7515 says', () => {
    const header = { alg: 'ES256', typ: 'secevent+jwt', kid: 'k1' };
    const payload = { iss: 'https://issuer', aud: 'r', jti: 'j', events: { 'urn:x': { é: 1 } } };
    const token = compactEs256(header, payload, privateKey);
    const [h, p, s] = token.split('.');
    expect(part(token, 0)).toEqual(header);
    expect(part(token, 1)).toEqual(payload);
    const signature = Buffer.from(s, 'base64url');
    // JOSE's R ‖ S (64 bytes), not DER.
    expect(signature).toHaveLength(64);
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        signature,
      ),
    ).toBe(true);
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}x`),
        { key: publicKey, dsaEncoding: 'ieee-p1363' },
        signature,
      ),
    ).toBe(false);
  });
});

describe('verifiedEs256Payload', () => {
  const ours = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const theirs = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const claims = { sub: 'someone', iss: 'auth-service' };
  const token = sign(claims, ours.privateKey, { algorithm: 'ES256', noTimestamp: true });
  const [header, payload, signature] = token.split('.');
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('returns the payload of a token our key signed', () => {
    expect(verifiedEs256Payload(token, ours.publicKey)).toEqual(claims);
  });

  it.each([
    ['signed by another key', () => sign(claims, theirs.privateKey, { algorithm: 'ES256' })],
    [
      'with a changed payload',
      () => `${header}.${encode({ ...claims, sub: 'admin' })}.${signature}`,
    ],
    [
      'with a changed header',
      () => `${encode({ alg: 'ES256', kid: 'x' })}.${payload}.${signature}`,
    ],
    ['with a truncated signature', () => `${header}.${payload}.${signature.slice(0, -4)}`],
    ['with an empty signature', () => `${header}.${payload}.`],
    [
      'with the signature DER-encoded (not as JOSE writes it)',
      () => {
        const der = Buffer.from(signature, 'base64url');
        const integer = (bytes: Buffer) =>
          bytes[0] & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
        const [r, s] = [integer(der.subarray(0, 32)), integer(der.subarray(32))];
        const body = Buffer.concat([Buffer.of(2, r.length), r, Buffer.of(2, s.length), s]);
        return `${header}.${payload}.${Buffer.concat([Buffer.of(0x30, body.length), body]).toString('base64url')}`;
      },
    ],
  ])('refuses a token %s', (_name, forge) => {
    expect(verifiedEs256Payload(forge(), ours.publicKey)).toBeUndefined();
  });

  it('refuses a signed payload that is not JSON', () => {
    const signed = sign('not json', ours.privateKey, { algorithm: 'ES256' });
    expect(verifiedEs256Payload(signed, ours.publicKey)).toBeUndefined();
  });
});
