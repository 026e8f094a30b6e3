import { useState } from 'preact/hooks';
import { api, type RevokeAllResult } from '../api';
import { when } from '../format';
import { withStepUp } from '../step-up';
import { Alert, PageTitle, Success } from '../ui';

const CONFIRMATION = 'REVOKE ALL SESSIONS';

export function EmergencyBrake() {
  const [reason, setReason] = useState('');
  const [before, setBefore] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<RevokeAllResult | null>(null);
  const ready = typed === CONFIRMATION && reason.trim() !== '';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // datetime-local is the admin's local time; the API takes an instant.
      const issuedBefore = before ? new Date(before).toISOString() : undefined;
      setResult(await withStepUp(() => api.revokeAll(reason.trim(), issuedBefore)));
      setTyped('');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <PageTitle>Emergency brake</PageTitle>
      <p class="lead">
        Ends <strong>every live session of every user</strong> started before the instant you choose
        (default: now), including yours. Use it after a signing-key or database leak. Each ending is
        audited and announced to connected services.
      </p>
      <form
        class="card danger-card"
        onSubmit={(event) => void submit(event)}
        aria-labelledby="brake-form-title"
      >
        <h2 id="brake-form-title">Revoke all sessions</h2>
        <label for="brake-reason">Reason (kept in the audit trail)</label>
        <input
          id="brake-reason"
          required
          maxLength={500}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
        <label for="brake-before">Sessions started before (optional, your local time)</label>
        <input
          id="brake-before"
          type="datetime-local"
          step={1}
          value={before}
          onInput={(event) => setBefore(event.currentTarget.value)}
        />
        <label for="brake-confirm">
          Type <strong class="mono">{CONFIRMATION}</strong> to confirm
        </label>
        <input
          id="brake-confirm"
          autocomplete="off"
          spellcheck={false}
          value={typed}
          onInput={(event) => setTyped(event.currentTarget.value)}
        />
        <button type="submit" class="danger" disabled={busy || !ready}>
          {busy ? 'Revoking…' : 'Revoke all sessions'}
        </button>
      </form>
      <div aria-live="polite">
        {result && (
          <Success>
            Revoked sessions: {result.revokedSessions}. At{' '}
            <time dateTime={result.timestamp}>{when(result.timestamp)}</time>.
          </Success>
        )}
        <Alert error={error} />
      </div>
    </main>
  );
}
