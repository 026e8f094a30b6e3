import { useEffect, useState } from 'preact/hooks';
import { type AdminUser, api, type Session } from '../api';
import { device, when } from '../format';
import { href } from '../router';
import { withStepUp } from '../step-up';
import { Alert, PageTitle, StatusBadge, Success } from '../ui';

interface Outcome {
  text: string;
  timestamp: string;
}

export function UserPage({ userId }: { userId: string }) {
  const [user, setUser] = useState<AdminUser | null>(null);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const load = async () => {
    try {
      const [found, live] = await Promise.all([api.user(userId), api.sessions(userId)]);
      setUser(found);
      setSessions(live);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    setUser(null);
    setOutcome(null);
    setError(null);
    void load();
  }, [userId]);

  /** Runs an action, shows what it did, and reloads the account and its sessions. */
  const act = async (action: () => Promise<Outcome>) => {
    setError(null);
    setOutcome(null);
    try {
      setOutcome(await action());
    } catch (failure) {
      setError(failure);
    }
    await load();
  };

  const endSession = (session: Session) =>
    act(async () => {
      await api.endSession(session.id, 'Ended from the admin console');
      return {
        text: `Ended the session on ${device(session.userAgent)}. Revoked sessions: 1.`,
        timestamp: new Date().toISOString(),
      };
    });

  if (!user) {
    return (
      <main>
        <PageTitle>User</PageTitle>
        {error ? <Alert error={error} /> : <p class="muted">Loading…</p>}
      </main>
    );
  }

  return (
    <main>
      <p class="breadcrumb">
        <a href={href('users')}>Users</a> / <span>{user.email}</span>
      </p>
      <PageTitle>
        {user.email} <StatusBadge status={user.status} />
      </PageTitle>
      <dl class="facts">
        <div>
          <dt>User id</dt>
          <dd class="mono">{user.id}</dd>
        </div>
        <div>
          <dt>Roles</dt>
          <dd>{user.roles.join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{when(user.createdAt)}</dd>
        </div>
        <div>
          <dt>Live sessions</dt>
          <dd>{user.liveSessions}</dd>
        </div>
      </dl>
      <p>
        <a href={href('audit', { userId: user.id })}>Audit events of this user →</a>
      </p>
      <div aria-live="polite">
        {outcome && (
          <Success>
            {outcome.text} At <time dateTime={outcome.timestamp}>{when(outcome.timestamp)}</time>.
          </Success>
        )}
        <Alert error={error} />
      </div>

      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        {sessions.length === 0 ? (
          <p class="empty">No live session.</p>
        ) : (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Created</th>
                <th scope="col">Last active</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <td data-label="Device" title={session.userAgent ?? ''}>
                    {device(session.userAgent)}
                  </td>
                  <td data-label="IP address" class="mono">
                    {session.ipAddress ?? '—'}
                  </td>
                  <td data-label="Created">{when(session.createdAt)}</td>
                  <td data-label="Last active">{when(session.lastActiveAt)}</td>
                  <td data-label="Expires">{when(session.expiresAt)}</td>
                  <td class="row-action">
                    <button
                      class="secondary small"
                      aria-label={`End the session on ${device(session.userAgent)} created ${when(session.createdAt)}`}
                      onClick={() => void endSession(session)}
                    >
                      End session
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="actions-title" class="danger-zone">
        <h2 id="actions-title">Actions</h2>
        <ConfirmedAction
          id="logout-all"
          title="Log out everywhere"
          explanation="Ends every session of this user on every device. Their access tokens stop working at once."
          confirmText={user.email}
          button="Log out everywhere"
          onConfirm={(reason) =>
            act(async () => {
              const result = await withStepUp(() => api.logoutEverywhere(user.id, reason));
              return {
                text: `Logged out everywhere. Revoked sessions: ${result.revokedSessions}.`,
                timestamp: result.timestamp,
              };
            })
          }
        />
        {user.status === 'active' ? (
          <ConfirmedAction
            id="suspend"
            title="Suspend account"
            explanation="The user cannot log in or refresh, and every session ends at once."
            confirmText={user.email}
            button="Suspend"
            onConfirm={(reason) =>
              act(async () => {
                const result = await withStepUp(() => api.suspend(user.id, reason));
                return {
                  text: `Suspended. Revoked sessions: ${result.revokedSessions}.`,
                  timestamp: result.timestamp,
                };
              })
            }
          />
        ) : (
          <ConfirmedAction
            id="reactivate"
            title="Reactivate account"
            explanation="The user can log in again. Ended sessions stay ended."
            button="Reactivate"
            onConfirm={(reason) =>
              act(async () => {
                const result = await api.reactivate(user.id, reason);
                return { text: 'Reactivated.', timestamp: result.timestamp };
              })
            }
          />
        )}
      </section>
    </main>
  );
}

/** A reason, and for irreversible actions the user's email typed back, before the button works. */
function ConfirmedAction(props: {
  id: string;
  title: string;
  explanation: string;
  confirmText?: string;
  button: string;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const confirmed = !props.confirmText || typed.trim() === props.confirmText;

  return (
    <form
      class="action card"
      aria-labelledby={`${props.id}-title`}
      onSubmit={(event) => {
        event.preventDefault();
        if (!confirmed || !reason.trim()) return;
        setBusy(true);
        void props.onConfirm(reason.trim()).finally(() => {
          setBusy(false);
          setReason('');
          setTyped('');
        });
      }}
    >
      <h3 id={`${props.id}-title`}>{props.title}</h3>
      <p class="muted">{props.explanation}</p>
      <label for={`${props.id}-reason`}>Reason (kept in the audit trail)</label>
      <input
        id={`${props.id}-reason`}
        required
        maxLength={500}
        value={reason}
        onInput={(event) => setReason(event.currentTarget.value)}
      />
      {props.confirmText && (
        <>
          <label for={`${props.id}-confirm`}>
            Type <strong class="mono">{props.confirmText}</strong> to confirm
          </label>
          <input
            id={`${props.id}-confirm`}
            autocomplete="off"
            spellcheck={false}
            value={typed}
            onInput={(event) => setTyped(event.currentTarget.value)}
          />
        </>
      )}
      <button type="submit" class="danger" disabled={busy || !confirmed || !reason.trim()}>
        {busy ? 'Working…' : props.button}
      </button>
    </form>
  );
}
