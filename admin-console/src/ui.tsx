import { type ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api';

/** Every refusal in words an admin can act on, keyed by the contract's stable codes. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError))
    return 'The service could not be reached. Check your connection and try again.';
  switch (error.code) {
    case 'forbidden':
      return error.message.includes('admin role')
        ? error.message
        : 'Your account lacks the admin role for this.';
    case 'reauthentication_required':
      return 'This action needs a recent sign-in. Confirm your password and try again.';
    case 'invalid_credentials':
      return 'Wrong email or password.';
    case 'account_suspended':
      return 'This account is suspended.';
    case 'rate_limited':
      return 'Too many requests. Wait a moment and try again.';
    case 'service_unavailable':
      return 'The service is temporarily unavailable. Try again shortly.';
    case 'not_found':
      return `${error.message}.`;
    case 'validation_failed':
      return `Check the form: ${error.message}.`;
    default:
      return error.message;
  }
}

export function Alert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="notice error" role="alert">
      {explain(error)}
    </p>
  );
}

export function Success({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice success" role="status">
      {children}
    </p>
  );
}

/** The page's heading takes focus on arrival, so screen readers announce the new view. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${status}`}>{status}</span>;
}
