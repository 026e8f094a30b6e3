import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { compactEs256 } from './compact-es256';

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
