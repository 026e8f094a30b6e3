import { useEffect, useState } from 'preact/hooks';
import { type Admin, api, configure } from './api';
import { href, useRoute } from './router';
import { StatusStrip } from './status-strip';
import { StepUpDialog } from './step-up';
import { Audit } from './views/audit';
import { EmergencyBrake } from './views/emergency-brake';
import { SignIn } from './views/sign-in';
import { UserPage } from './views/user-page';
import { Users } from './views/users';

export function App() {
  const [admin, setAdmin] = useState<Admin | null>(null);
  const [waiting, setWaiting] = useState<number | null>(null);
  const route = useRoute();

  useEffect(() => configure({ signedOut: () => setAdmin(null), waiting: setWaiting }), []);

  if (!admin) return <SignIn onSignedIn={setAdmin} />;

  const [section, id] = route.path;
  const current = section ?? 'users';
  let view;
  if (current === 'users' && id) view = <UserPage userId={id} key={id} />;
  else if (current === 'audit') view = <Audit params={route.params} />;
  else if (current === 'brake') view = <EmergencyBrake />;
  else view = <Users query={route.params.get('q') ?? ''} />;

  const link = (target: string, label: string) => (
    <a href={href(target)} aria-current={current === target ? 'page' : undefined}>
      {label}
    </a>
  );

  return (
    <>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">
          <span aria-hidden="true">◆</span> Auth admin
        </span>
        <nav aria-label="Main">
          {link('users', 'Users')}
          {link('audit', 'Audit trail')}
          {link('brake', 'Emergency brake')}
        </nav>
        <span class="who">
          <span class="who-email">{admin.email}</span>
          <button
            class="secondary small"
            onClick={() => void api.signOut().finally(() => setAdmin(null))}
          >
            Sign out
          </button>
        </span>
      </header>
      <StatusStrip />
      {waiting !== null && (
        <p class="notice warning banner" role="status">
          The service asked us to slow down; retrying in {waiting} s.
        </p>
      )}
      <div id="content">{view}</div>
      <StepUpDialog />
    </>
  );
}
