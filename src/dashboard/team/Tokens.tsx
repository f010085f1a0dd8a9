import { useState, type FormEvent } from 'react';
import type { Role } from '../access.js';
import { ApiError } from '../api/client.js';
import { LoadError, Loading, Notice, Time } from '../components/common.js';
import { useApi, useFocusHeading, useNow, usePoll, useTitle } from '../hooks.js';
import { Confirm } from '../sources/Confirm.js';

interface TokenView {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  last_used_at: string | null;
}

const ROLE_HINT: Record<Role, string> = {
  viewer: 'reads everything, changes nothing',
  operator: 'also pauses, resumes, replays, retries and sends test events',
  admin: 'also creates, edits and deletes exports, sources and tokens',
};

/** Named tokens (admins only): make one (shown once), see when each was last used, revoke one. */
export function Tokens() {
  const api = useApi();
  const now = useNow();
  const heading = useFocusHeading<HTMLHeadingElement>('tokens');
  useTitle('Tokens');
  const { data, error, reload } = usePoll((a) => a.get<{ tokens: TokenView[] }>('/v1/tokens'), 10_000, 'tokens');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const make = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setFields({});
    setFailure(null);
    try {
      const answer = await api.post<{ name: string; token: string }>('/v1/tokens', { name: name.trim(), role });
      setMade({ name: answer.name, token: answer.token });
      setName('');
      reload();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) setFields(err.fields);
      else setFailure((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    if (revoking === null) return;
    setBusy(true);
    try {
      await api.del(`/v1/tokens/${encodeURIComponent(revoking.id)}`);
      setRevoking(null);
      reload();
    } catch (err) {
      setFailure((err as Error).message);
      setRevoking(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="tokens-heading">
      <h1 id="tokens-heading" ref={heading} tabIndex={-1}>
        Tokens
      </h1>
      <p className="muted">
        One token per person or tool, with the least role it needs. The service keeps only a hash of each; the audit log
        names the token behind every change.
      </p>
      {made !== null && (
        <Notice tone="info">
          <h2>Copy the token “{made.name}” now</h2>
          <p>It is shown this once. If it is lost, revoke it and make another.</p>
          <div className="field token">
            <label htmlFor="new-token">Token {made.name}</label>
            <input id="new-token" type="text" readOnly value={made.token} onFocus={(e) => e.target.select()} />
          </div>
        </Notice>
      )}
      {failure !== null && (
        <Notice tone="bad" alert>
          {failure}
        </Notice>
      )}
      <form className="panel" onSubmit={(e) => void make(e)} noValidate>
        <h2>Make a token</h2>
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input
            id="token-name"
            type="text"
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={fields.name !== undefined}
            aria-describedby={fields.name !== undefined ? 'token-name-error' : undefined}
          />
          {fields.name !== undefined && (
            <p className="error" id="token-name-error">
              {fields.name}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="token-role">Role</label>
          <select id="token-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {(['viewer', 'operator', 'admin'] as const).map((r) => (
              <option key={r} value={r}>
                {r}: {ROLE_HINT[r]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Make token
        </button>
      </form>
      {error !== null && <LoadError error={error} retry={reload} />}
      {data === null && error === null && <Loading what="tokens" />}
      {data !== null && (
        <ul className="plain history">
          {data.tokens.length === 0 && <li className="muted">No named tokens yet.</li>}
          {data.tokens.map((t) => (
            <li key={t.id} data-token={t.name}>
              <strong>{t.name}</strong> <span className="badge idle">{t.role}</span>{' '}
              <span className="muted">
                made <Time iso={t.created_at} now={now} />, last used <Time iso={t.last_used_at} now={now} />
              </span>{' '}
              <button
                type="button"
                className="danger small"
                onClick={() => setRevoking(t)}
                aria-label={`Revoke ${t.name}`}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <Confirm
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        text="Every request with this token is refused from now on, by every process of the service."
        keep="Keep it"
        confirm="Revoke"
        busy={busy}
        onCancel={() => setRevoking(null)}
        onConfirm={() => void revoke()}
      />
    </section>
  );
}
