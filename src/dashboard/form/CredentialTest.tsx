import type { CredentialCheck } from '../api/types.js';
import { feedLabel } from '../format.js';

/** Which keys mParticle accepted when the form's "Test credentials" sent an empty request per feed. */
export function CredentialResults({ results, note }: { results: CredentialCheck[] | null; note: string | null }) {
  return (
    <div className="credential-results" role="status" aria-live="polite">
      {note !== null && <p className="hint">{note}</p>}
      {results !== null && results.length === 0 && <p className="muted">No feed has a key and secret to test.</p>}
      {results !== null && results.length > 0 && (
        <ul>
          {results.map((r) => (
            <li key={r.key} className={r.accepted ? 'accepted' : 'refused'}>
              <span className={`badge ${r.accepted ? 'ok' : 'bad'}`}>{r.accepted ? 'Accepted' : 'Refused'}</span>{' '}
              <strong>{feedLabel(r.slots.join('+'))}</strong> (key <code>{r.key}</code>)
              {!r.accepted && (
                <span className="detail">
                  {' '}
                  — {r.status !== null ? `${r.status}: ` : ''}
                  {r.message}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
