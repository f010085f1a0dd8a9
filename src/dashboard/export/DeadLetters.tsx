import { useState } from 'react';
import { messageOf } from '../api/client.js';
import type { DeadLetter } from '../api/types.js';
import { Notice, Time } from '../components/common.js';
import { count, feedLabel } from '../format.js';
import { useApi, usePoll } from '../hooks.js';
import { Link, paths } from '../router.js';
import { useCan } from '../access.js';

/** Event ids shown per dead letter, each a link to what became of it. */
const SHOWN_IDS = 5;

interface RetryResult {
  delivered: number;
  failed: { id: number; error: string }[];
}

/** Batches mParticle refused: the payload, the error, and a way to send them again once the cause is fixed. */
export function DeadLetters({ exportId, now, onChange }: { exportId: string; now: number; onChange: () => void }) {
  const api = useApi();
  const mayRetry = useCan('operator');
  const base = `/v1/exports/${encodeURIComponent(exportId)}/dead-letters`;
  const { data, error, reload } = usePoll(
    (a) => a.get<{ total: number; dead_letters: DeadLetter[] }>(`${base}?limit=50`),
    4000,
    exportId,
  );
  const [busy, setBusy] = useState<number | 'all' | null>(null);
  const [result, setResult] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);

  const retry = async (which: number | 'all') => {
    setBusy(which);
    setResult(null);
    try {
      const r =
        which === 'all'
          ? await api.post<RetryResult>(`${base}/retry`, {})
          : await api.post<RetryResult>(`${base}/${which}/retry`);
      const failed = r.failed.map((f) => `#${f.id}: ${f.error}`).join('; ');
      setResult(
        r.failed.length === 0
          ? { tone: 'ok', text: `Delivered ${count(r.delivered)} dead letter${r.delivered === 1 ? '' : 's'}.` }
          : {
              tone: 'bad',
              text: `Delivered ${count(r.delivered)}; ${count(r.failed.length)} refused again (${failed}).`,
            },
      );
    } catch (e) {
      setResult({ tone: 'bad', text: messageOf(e) });
    } finally {
      setBusy(null);
      reload();
      onChange();
    }
  };

  return (
    <section aria-labelledby="dl-heading" className="panel">
      <div className="section-head">
        <h2 id="dl-heading">Dead letters {data !== null && <span className="muted">({count(data.total)})</span>}</h2>
        {data !== null && data.total > 0 && mayRetry && (
          <button type="button" className="secondary" disabled={busy !== null} onClick={() => void retry('all')}>
            {busy === 'all' ? 'Retrying…' : 'Retry all'}
          </button>
        )}
      </div>
      {result !== null && <Notice tone={result.tone}>{result.text}</Notice>}
      {error !== null && <Notice tone="bad">{error.message}</Notice>}
      {data !== null && data.total === 0 && (
        <p className="muted">None: mParticle has accepted every batch it was sent, or they wait in the backlog.</p>
      )}
      <ul className="dead-letters">
        {data?.dead_letters.map((d) => (
          <li key={d.id} className="dead-letter" data-letter={d.id}>
            <div className="dl-head">
              <strong>#{d.id}</strong> <span>{feedLabel(d.feed)} feed</span>
              {d.status !== null && <span className="badge bad">{d.status}</span>}
              <span className="muted">
                {d.attempts} attempt{d.attempts === 1 ? '' : 's'}, first <Time iso={d.created_at} now={now} />
              </span>
              {mayRetry && (
                <button
                  type="button"
                  className="secondary small"
                  disabled={busy !== null}
                  onClick={() => void retry(d.id)}
                  aria-label={`Retry dead letter ${d.id}`}
                >
                  {busy === d.id ? 'Retrying…' : 'Retry'}
                </button>
              )}
            </div>
            <p className="dl-error">{d.error}</p>
            <p className="muted">
              {d.types.join(', ')} · {count(d.event_ids.length)} event{d.event_ids.length === 1 ? '' : 's'}:{' '}
              {d.event_ids.slice(0, SHOWN_IDS).map((id, i) => (
                <span key={id}>
                  {i > 0 && ', '}
                  <Link to={paths.event(id)} aria-label={`Trace event ${id}`}>
                    <code>{id}</code>
                  </Link>
                </span>
              ))}
              {d.event_ids.length > SHOWN_IDS && ` and ${count(d.event_ids.length - SHOWN_IDS)} more`}
            </p>
            <details>
              <summary>mParticle payload</summary>
              <pre tabIndex={0} aria-label={`mParticle payload of dead letter ${d.id}`}>
                {JSON.stringify(d.batch, null, 2)}
              </pre>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
