import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { createApi } from './api/client.js';
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

const REFUSED =
  'The service no longer accepts this token (it may have been changed). Sign in again with the current admin token.';

export function App() {
  const [token, setToken] = useState<string | null>(savedToken);
  const [message, setMessage] = useState<string | null>(null);
  const route = useRoute();

  const signOut = useCallback((why: string | null) => {
    clearToken();
    setToken(null);
    setMessage(why);
  }, []);
  const api = useMemo(() => (token === null ? null : createApi(token, () => signOut(REFUSED))), [token, signOut]);

  if (api === null) {
    return (
      <SignIn
        message={message}
        onSignedIn={(t) => {
          saveToken(t);
          setMessage(null);
          setToken(t);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <Shell route={route} onSignOut={() => signOut(null)}>
        {page(route)}
      </Shell>
    </ApiContext.Provider>
  );
}

function page(route: Route): ReactNode {
  switch (route.name) {
    case 'list':
      return <ExportsList />;
    case 'new':
      return <ExportForm key="new" id={null} focus={null} />;
    case 'edit':
      return <ExportForm key={`edit-${route.id}`} id={route.id} focus={route.focus} />;
    case 'export':
      return <ExportPage key={route.id} id={route.id} />;
    case 'test':
      return <TestEvents key={route.id} id={route.id} />;
    case 'quarantine':
      return <Quarantine event={route.event} dismissed={route.dismissed} />;
    case 'sources':
      return <SourcesList />;
    case 'new-source':
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
