import { useState, type FormEvent } from 'react';
import { ApiError, createApi } from '../api/client.js';
import type { Identity } from '../access.js';
import { useFocusHeading } from '../hooks.js';

const WRONG_TOKEN =
  'The service refused this token. Use a token made for you (currents tokens create, or POST /v1/tokens), or the ' +
  'admin token: the value of CURRENTS_ADMIN_TOKEN, or admin_token in <data folder>/tokens.json (printed once when ' +
  'the service first started). The ingest token does not work here.';

export function SignIn({
  message,
  onSignedIn,
}: {
  message: string | null;
  onSignedIn: (token: string, who: Identity) => void;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useFocusHeading<HTMLHeadingElement>('signin');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const value = token.trim();
    if (value === '') {
      setError('Enter your token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const who = await createApi(value, () => undefined).get<Identity>('/v1/whoami');
      onSignedIn(value, who);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? WRONG_TOKEN : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <h1 ref={heading} tabIndex={-1}>
        Currents → mParticle
      </h1>
      <p className="muted">
        Sign in with your token to watch exports; what you may change depends on its role (viewer, operator or admin).
      </p>
      {message !== null && (
        <p className="notice warn" role="status">
          {message}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="admin-token">Token</label>
          <input
            id="admin-token"
            name="admin-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error !== null ? 'admin-token-error' : 'admin-token-hint'}
          />
          <p className="hint" id="admin-token-hint">
            Kept in this browser tab only; signing out or closing the tab forgets it.
          </p>
          {error !== null && (
            <p className="error" id="admin-token-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
