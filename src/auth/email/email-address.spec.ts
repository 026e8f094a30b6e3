import { localPartOf, normalizeEmail } from './email-address';

describe('normalizeEmail', () => {
  it.each([
    ['case', 'Ada.Lovelace@Example.COM', 'ada.lovelace@example.com'],
    ['surrounding space', '  ada@example.com\t', 'ada@example.com'],
    ['full-width forms (NFKC)', 'ａｄａ@ｅｘａｍｐｌｅ.com', 'ada@example.com'],
    ['ligatures (NFKC)', 'ﬁnn@example.com', 'finn@example.com'],
    ['composed and decomposed é alike', 'Re\u0301my@example.com', 'r\u00e9my@example.com'],
  ])('folds %s', (_name, input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it('lower-cases U+0130 the Unicode way (i + combining dot), not as PostgreSQL lower() may (i)', () => {
    const variant = normalizeEmail('user.v\u0130ctim@example.com');
    expect(variant).toBe('user.vi\u0307ctim@example.com');
    expect(variant).not.toBe(normalizeEmail('user.victim@example.com'));
  });

  it('is idempotent', () => {
    for (const email of ['Straße@X.de', 'user.v\u0130ctim@example.com', 'ＡＢＣ@example.com']) {
      expect(normalizeEmail(normalizeEmail(email))).toBe(normalizeEmail(email));
    }
  });

  it('gives the local part in the same form', () => {
    expect(localPartOf('Jane.Doe@Example.com')).toBe('jane.doe');
    expect(localPartOf('"a@b"@example.com')).toBe('"a@b"');
  });
});
