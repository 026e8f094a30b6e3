import { type LoginLimitPolicy } from './login-limit-policy';

/** The counters one login attempt touches. */
export interface LoginAttemptKeys {
  /** Failures of this client against this account. */
  readonly pair: string;
  /** Failures of this client against any account. */
  readonly client: string;
  /** Failures against this account from anywhere, and when the next attempt may come. */
  readonly account: string;
  /** Present while this client counts as the account's own (a recent successful login). */
  readonly trusted: string;
}

export type Reservation =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly limit: LimitName };

export type LimitName = 'account-client' | 'client' | 'account';

/**
 * Shared login-attempt counters. `reserve` decides and counts in one atomic step (so a burst of
 * parallel guesses cannot all pass a check made before any of them was counted); `refund`
 * takes the count back for an attempt that turned out not to be a failure.
 */
export interface LoginAttemptStore {
  reserve(keys: LoginAttemptKeys, now: number, policy: LoginLimitPolicy): Promise<Reservation>;
  /** `trustForMs`: also mark the client as the account's own (after a successful login). */
  refund(keys: LoginAttemptKeys, now: number, trustForMs?: number): Promise<void>;
}

export const LOGIN_ATTEMPT_STORE = Symbol('LOGIN_ATTEMPT_STORE');
