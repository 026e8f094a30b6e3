import { useState } from 'preact/hooks';
import { type Admin, api } from '../api';
import { Alert } from '../ui';

export function SignIn({ onSignedIn }: { onSignedIn: (admin: Admin) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(email, password));
    } catch (failure) {
      setError(failure);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <form class="card" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
        <p class="brand-mark" aria-hidden="true">
          ◆
        </p>
        <h1 id="sign-in-title">Admin console</h1>
        <p class="muted">Sign in with an account that has the admin role.</p>
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autocomplete="username"
          required
          value={email}
          onInput={(event) => setEmail(event.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        <Alert error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="fine-print">Tokens stay in this tab’s memory: reloading signs you out.</p>
      </form>
    </main>
  );
}
