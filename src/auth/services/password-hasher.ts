import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

export const PASSWORD_HASH_OPTIONS = Symbol('PASSWORD_HASH_OPTIONS');

export interface PasswordHashOptions {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). Tests inject a cheaper cost. */
export const DEFAULT_PASSWORD_HASH_OPTIONS: PasswordHashOptions = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** argon2id hashing; `verifyDecoy` spends the same work when there is no user, so timing reveals nothing. */
@Injectable()
export class PasswordHasher {
  private decoyHash?: Promise<string>;

  constructor(@Inject(PASSWORD_HASH_OPTIONS) private readonly options: PasswordHashOptions) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.options });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Verifies against a throwaway hash of the same cost; always false. */
  async verifyDecoy(password: string): Promise<false> {
    this.decoyHash ??= this.hash('decoy password that no account has');
    await this.verify(await this.decoyHash, password);
    return false;
  }
}
