import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import { DomainError } from '../../common/errors/domain.error';
import { localPartOf } from '../email/email-address';

/**
 * zxcvbn-ts' list of common passwords (49,233 entries from leaked-password corpora, lower
 * case, ordered by frequency): the blocklist OWASP ASVS 6.2.4 asks for (at least the top
 * 10,000). Kept in memory as a set: ~10 MB, built once in ~50 ms.
 */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(dictionary['passwords-common']);

/** A local part this short is a substring of too many good passwords; below it, only equality counts. */
const MIN_LOCAL_PART_TO_SEARCH = 3;

/**
 * What a new password must not be (registration, password change), beyond its length:
 * NIST SP 800-63B §3.1.1.2 and ASVS 6.2.4 / 6.2.11 — no composition rules, but no password
 * an attacker tries first: a common one (compared case-insensitively, so `Password` is
 * refused too), one character repeated (`        `, `aaaaaaaa`), or one containing the
 * account's own email local part. Login never applies it: an old password still signs in.
 */
@Injectable()
export class PasswordPolicy {
  check(password: string, email: string): void {
    const folded = password.normalize('NFKC').toLowerCase();
    if (COMMON_PASSWORDS.has(folded) || new Set(folded).size === 1) {
      throw new DomainError(
        'password_too_common',
        'password is too common: choose one that is not on lists of leaked passwords',
      );
    }
    const local = localPartOf(email);
    const containsLocal =
      local.length >= MIN_LOCAL_PART_TO_SEARCH ? folded.includes(local) : folded === local;
    if (containsLocal) {
      throw new DomainError(
        'password_contains_email',
        'password must not contain the email address or its part before the @',
      );
    }
  }
}
