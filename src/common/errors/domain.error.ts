import { ERROR_STATUS, type ErrorCode } from './error-code';

/** Whom a refusal concerns, when the service knows: the audit trail records it, the client never sees it. */
export interface RefusalSubject {
  readonly userId?: string | null;
  readonly sessionId?: string | null;
}

/** The one error type services throw; `AllExceptionsFilter` turns it into the contract's error body. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly subject: RefusalSubject = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
