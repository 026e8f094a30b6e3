/** Statuses after which the service says, with `Retry-After`, when trying again makes sense. */
const RETRYABLE = new Set([429, 503]);

/** `Retry-After` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function retryAfterSeconds(response: Response, now: number): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

export interface RetryPolicy {
  /** Retries after a 429 or 503 (not counting the first attempt). */
  maxRetries: number;
  /** A longer `Retry-After` is not waited for: the response goes back to the caller. */
  maxDelaySeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * Sends a request, and again after the `Retry-After` of a 429 or 503 while the policy allows.
 * The service does nothing for a request it answers 429 or 503, so repeating it is safe.
 */
export async function sendHonouringRetryAfter(
  send: (request: Request) => Promise<Response>,
  request: Request,
  policy: RetryPolicy,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await send(request.clone());
    if (!RETRYABLE.has(response.status) || attempt >= policy.maxRetries) return response;
    const delay = retryAfterSeconds(response, policy.now());
    if (delay === undefined || delay > policy.maxDelaySeconds) return response;
    await response.body?.cancel();
    await policy.sleep(delay * 1000);
  }
}
