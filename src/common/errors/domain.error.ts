import { ERROR_STATUS, type ErrorCode } from './error-code';

/** The one error type services throw; `AllExceptionsFilter` turns it into the contract's error body. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
