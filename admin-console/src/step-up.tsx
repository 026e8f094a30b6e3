import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';

let ask: ((resolve: (ok: boolean) => void) => void) | null = null;

/**
 * Runs a destructive action; when the service answers `reauthentication_required`, asks for
 * the password again (POST /auth/reauthenticate) and retries once with the fresh token.
 */
export async function withStepUp<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'reauthentication_required' || !ask) {
      throw error;
    }
    const confirmed = await new Promise<boolean>((resolve) => ask?.(resolve));
    if (!confirmed)
      throw new ApiError(403, 'cancelled', 'Cancelled: the action needs your password again.');
    return action();
  }
}

/** The password prompt, as a native modal dialog (focus trapped, Escape cancels). */
export function StepUpDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<((ok: boolean) => void) | null>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    ask = (resolve) => {
      setPending(() => resolve);
      setPassword('');
      setError('');
      dialog.current?.showModal();
    };
    return () => {
      ask = null;
    };
  }, []);

  const close = (ok: boolean) => {
    dialog.current?.close();
    pending?.(ok);
    setPending(null);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api.reauthenticate(password);
      close(true);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'Wrong password.'
          : String((failure as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="step-up-title"
      onCancel={() => close(false)}
    >
      <form onSubmit={(event) => void submit(event)}>
        <h2 id="step-up-title">Confirm it is you</h2>
        <p>This action ends sessions. Enter your password again to continue.</p>
        <label for="step-up-password">Password</label>
        <input
          id="step-up-password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => close(false)}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Confirm'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
