import { DomainError } from '../../common/errors/domain.error';
import { PasswordPolicy } from './password-policy';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy();
  const codeOf = (password: string, email = 'someone@example.com'): string | undefined => {
    try {
      policy.check(password, email);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      return (error as DomainError).code;
    }
  };

  it.each(['password', '12345678', 'qwertyuiop', 'iloveyou', 'Password', 'LETMEIN1', '        '])(
    'refuses %j as too common',
    (password) => expect(codeOf(password)).toBe('password_too_common'),
  );

  it('refuses the email or its local part inside the password', () => {
    expect(codeOf('someone@example.com')).toBe('password_contains_email');
    expect(codeOf('SomeOne-2026!')).toBe('password_contains_email');
  });

  it('compares a very short local part by equality only', () => {
    expect(codeOf('jo', 'jo@example.com')).toBe('password_contains_email');
    expect(codeOf('enjoy the silence', 'jo@example.com')).toBeUndefined();
  });

  it('accepts an ordinary passphrase', () => {
    expect(codeOf('correct horse battery staple')).toBeUndefined();
  });
});
