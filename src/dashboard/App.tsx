import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { IdentityContext, NotAllowed, useCan, type Identity } from './access.js';
import { ApiError, createApi } from './api/client.js';
import { Loading, LoadError } from './components/common.js';
import { Shell } from './components/Shell.js';
import { SignIn } from './components/SignIn.js';
import { ExportPage } from './export/ExportPage.js';
import { ExportsList } from './ExportsList.js';
import { FindEvent } from './FindEvent.js';
import { ExportForm } from './form/ExportForm.js';
import { ApiContext } from './hooks.js';
import { Quarantine } from './Quarantine.js';
import { SourceForm } from './sources/SourceForm.js';
import { SourcePage } from './sources/SourcePage.js';
import { SourcesList } from './sources/SourcesList.js';
import { Link, paths, useRoute, type Route } from './router.js';
import { clearToken, savedToken, saveToken } from './session.js';
import { TestEvents } from './TestEvents.js';
import { Tokens } from './team/Tokens.js';

const REFUSED =
  'The service no longer accepts this token (it may have been changed or revoked). Sign in again with a current token.';

export function App() {
  const [token, setToken] = useState<string | null>(savedToken);
  const [message, setMessage] = useState<string | null>(null);
  const [identity, setIdentity] = useState<Identity | null>(null);
  const [whoError, setWhoError] = useState<Error | null>(null);
  const [attempt, setAttempt] = useState(0);
  const route = useRoute();

  const signOut = useCallback((why: string | null) => {
    clearToken();
    setToken(null);
    setIdentity(null);
    setMessage(why);
  }, []);
  const api = useMemo(() => (token === null ? null : createApi(token, () => signOut(REFUSED))), [token, signOut]);

  // A token kept from an earlier load: ask who it is (a 401 signs out through the client).
  useEffect(() => {
    if (api === null || identity !== null) return;
    let stale = false;
    api.get<Identity>('/v1/whoami').then(
      (who) => {
        if (stale) return;
        setWhoError(null);
        setIdentity(who);
      },
      (e: unknown) => !stale && !(e instanceof ApiError && e.status === 401) && setWhoError(e as Error),
    );
    return () => {
      stale = true;
    };
  }, [api, identity, attempt]);

  if (api === null) {
    return (
      <SignIn
        message={message}
        onSignedIn={(t, who) => {
          saveToken(t);
          setMessage(null);
          setIdentity(who);
          setToken(t);
        }}
      />
    );
  }
  if (identity === null) {
    return (
      <main id="main">
        {whoError !== null ? (
          <LoadError
            error={whoError}
            retry={() => {
              setWhoError(null);
              setAttempt((n) => n + 1);
            }}
          />
        ) : (
          <Loading what="who you are" />
        )}
      </main>
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <IdentityContext.Provider value={identity}>
        <Shell route={route} identity={identity} onSignOut={() => signOut(null)}>
          <Page route={route} />
        </Shell>
      </IdentityContext.Provider>
    </ApiContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  const operator = useCan('operator');
  const admin = useCan('admin');
  return page(route, { operator, admin });
}

function page(route: Route, may: { operator: boolean; admin: boolean }): ReactNode {
  switch (route.name) {
    case 'list':
      return <ExportsList />;
    case 'new':
      if (!may.admin) return <NotAllowed need="admin" what="Creating an export" />;
      return <ExportForm key="new" id={null} focus={null} />;
    case 'edit':
      if (!may.admin) return <NotAllowed need="admin" what="Editing an export" />;
      return <ExportForm key={`edit-${route.id}`} id={route.id} focus={route.focus} />;
    case 'export':
      return <ExportPage key={route.id} id={route.id} />;
    case 'test':
      if (!may.operator) return <NotAllowed need="operator" what="Sending test events" />;
      return <TestEvents key={route.id} id={route.id} />;
    case 'quarantine':
      return <Quarantine event={route.event} dismissed={route.dismissed} />;
    case 'tokens':
      if (!may.admin) return <NotAllowed need="admin" what="Managing tokens" />;
      return <Tokens />;
    case 'sources':
      return <SourcesList />;
    case 'new-source':
      if (!may.admin) return <NotAllowed need="admin" what="Adding a source" />;
      return <SourceForm />;
    case 'source':
      return <SourcePage key={route.id} id={route.id} />;
    case 'find':
      return <FindEvent key={route.id ?? ''} id={route.id} />;
    case 'missing':
      return (
        <section>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link to={paths.list()}>Go to the exports list</Link>.
          </p>
        </section>
      );
  }
}
