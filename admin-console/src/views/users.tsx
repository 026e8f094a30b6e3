import { useEffect, useState } from 'preact/hooks';
import { type AdminUser, api } from '../api';
import { when } from '../format';
import { go, href } from '../router';
import { Alert, PageTitle, StatusBadge } from '../ui';

export function Users({ query }: { query: string }) {
  const [text, setText] = useState(query);
  const [items, setItems] = useState<AdminUser[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const load = async (next?: string) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.users(query, next);
      setItems((previous) => (next ? [...previous, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setText(query);
    void load();
  }, [query]);

  return (
    <main>
      <PageTitle>Users</PageTitle>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          go('users', { q: text.trim() || undefined });
        }}
      >
        <label for="user-query">Email prefix or user id</label>
        <div class="row">
          <input
            id="user-query"
            type="search"
            placeholder="ada@ or 3f2c…"
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
          />
          <button type="submit">Search</button>
        </div>
      </form>
      <Alert error={error} />
      <table class="list">
        <caption class="visually-hidden">Users matching the search</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Roles</th>
            <th scope="col">Created</th>
            <th scope="col" class="number">
              Live sessions
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((user) => (
            <tr key={user.id}>
              <td data-label="Email">
                <a href={href(`users/${user.id}`)}>{user.email}</a>
              </td>
              <td data-label="Status">
                <StatusBadge status={user.status} />
              </td>
              <td data-label="Roles">{user.roles.join(', ') || '—'}</td>
              <td data-label="Created">
                <time dateTime={user.createdAt}>{when(user.createdAt)}</time>
              </td>
              <td data-label="Live sessions" class="number">
                {user.liveSessions}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && items.length === 0 && !error && <p class="empty">No user matches.</p>}
      {cursor && (
        <button class="secondary load-more" disabled={loading} onClick={() => void load(cursor)}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </main>
  );
}
