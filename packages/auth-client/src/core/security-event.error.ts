/**
 * A SET refused for good, with its RFC 8935/8936 error code (`err` of a poll `setErrs`
 * entry or of a push 400 body). Transient failures are never this error: they stay unacknowledged.
 */
export class SecurityEventError extends Error {
  constructor(
    readonly err: 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience',
    description: string,
  ) {
    super(description);
    this.name = 'SecurityEventError';
  }
}
