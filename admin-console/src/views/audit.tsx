import { useEffect, useState } from 'preact/hooks';
import { api, type AuditEvent, type AuditFilters } from '../api';
import { shortId, when } from '../format';
import { go, href } from '../router';
import { Alert, PageTitle } from '../ui';

const FILTERS: { key: keyof AuditFilters; label: string; placeholder?: string }[] = [
  { key: 'userId', label: 'User id', placeholder: 'actor or subject' },
  { key: 'action', label: 'Action', placeholder: 'logout' },
  { key: 'ipAddress', label: 'IP address' },
  { key: 'requestId', label: 'Request id' },
  { key: 'from', label: 'From', placeholder: '2026-12-01T00:00:00Z' },
  { key: 'to', label: 'To', placeholder: '2026-12-02T00:00:00Z' },
];

function UserLink({ id }: { id: string | null }) {
  return id ? (
    <a href={href(`users/${id}`)} class="mono">
      {shortId(id)}
    </a>
  ) : (
    <span class="muted">—</span>
  );
}

export function Audit({ params }: { params: URLSearchParams }) {
  const filters: AuditFilters = {};
  for (const { key } of FILTERS) filters[key] = params.get(key) ?? undefined;
  filters.outcome = params.get('outcome') ?? undefined;
  const filterKey = params.toString();

  const [draft, setDraft] = useState<AuditFilters>(filters);
  const [items, setItems] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = async (next?: string) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.audit(filters, next);
      setItems((previous) => (next ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    setDraft(filters);
    setSelected(null);
    void load();
  }, [filterKey]);

  const exportAs = async (format: 'csv' | 'ndjson') => {
    setError(null);
    try {
      await api.exportAudit(filters, format);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <main class="audit">
      <PageTitle>Audit trail</PageTitle>
      <form
        class="filters card"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault();
          go('audit', draft);
        }}
      >
        {FILTERS.map(({ key, label, placeholder }) => (
          <div class="field" key={key}>
            <label for={`filter-${key}`}>{label}</label>
            <input
              id={`filter-${key}`}
              placeholder={placeholder}
              value={draft[key] ?? ''}
              onInput={(event) =>
                setDraft({ ...draft, [key]: event.currentTarget.value.trim() || undefined })
              }
            />
          </div>
        ))}
        <div class="field">
          <label for="filter-outcome">Outcome</label>
          <select
            id="filter-outcome"
            value={draft.outcome ?? ''}
            onChange={(event) =>
              setDraft({ ...draft, outcome: event.currentTarget.value || undefined })
            }
          >
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        <div class="filter-actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => go('audit')}>
            Clear
          </button>
          <span class="spacer" />
          <button type="button" class="secondary" onClick={() => void exportAs('csv')}>
            Export CSV
          </button>
          <button type="button" class="secondary" onClick={() => void exportAs('ndjson')}>
            Export NDJSON
          </button>
        </div>
      </form>
      <Alert error={error} />
      <div class="split">
        <div class="split-main">
          <table class="list events">
            <caption class="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Subject</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <tr key={event.id} class={selected?.id === event.id ? 'selected' : ''}>
                  <td data-label="Time">
                    <button
                      class="link"
                      aria-label={`Details of ${event.action} at ${when(event.occurredAt)}`}
                      aria-pressed={selected?.id === event.id}
                      onClick={() => setSelected(event)}
                    >
                      {when(event.occurredAt)}
                    </button>
                  </td>
                  <td data-label="Action" class="mono">
                    {event.action}
                  </td>
                  <td data-label="Outcome">
                    <span class={`badge ${event.outcome}`}>{event.outcome}</span>
                  </td>
                  <td data-label="Actor">
                    <UserLink id={event.actorUserId} />
                  </td>
                  <td data-label="Subject">
                    <UserLink id={event.subjectUserId} />
                  </td>
                  <td data-label="IP address" class="mono">
                    {event.ipAddress ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!loading && items.length === 0 && !error && <p class="empty">No event matches.</p>}
          {cursor && (
            <button
              class="secondary load-more"
              disabled={loading}
              onClick={() => void load(cursor)}
            >
              {loading ? 'Loading…' : 'Load more'}
            </button>
          )}
        </div>
        {selected && (
          <aside class="detail card" aria-labelledby="detail-title">
            <div class="detail-head">
              <h2 id="detail-title">{selected.action}</h2>
              <button class="secondary small" onClick={() => setSelected(null)}>
                Close
              </button>
            </div>
            <dl>
              {(
                [
                  ['Event id', selected.id],
                  ['Occurred at', selected.occurredAt],
                  ['Outcome', selected.outcome],
                  ['Scope', selected.scope],
                  ['Reason', selected.reason],
                  ['Session', selected.sessionId],
                  ['IP address', selected.ipAddress],
                  ['User agent', selected.userAgent],
                  ['Request id', selected.requestId],
                ] as const
              ).map(([label, value]) => (
                <div key={label}>
                  <dt>{label}</dt>
                  <dd class="mono">{value ?? '—'}</dd>
                </div>
              ))}
              <div>
                <dt>Actor</dt>
                <dd>
                  <UserLink id={selected.actorUserId} />
                </dd>
              </div>
              <div>
                <dt>Subject</dt>
                <dd>
                  <UserLink id={selected.subjectUserId} />
                </dd>
              </div>
            </dl>
            {selected.requestId && (
              <p>
                <a href={href('audit', { requestId: selected.requestId })}>
                  Everything from this request →
                </a>
              </p>
            )}
          </aside>
        )}
      </div>
    </main>
  );
}
