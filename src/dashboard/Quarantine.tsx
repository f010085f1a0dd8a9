import { useState } from 'react';
import { messageOf } from './api/client.js';
import type { QuarantinePage, QuarantineRecord, QuarantineRetry } from './api/types.js';
import { LoadError, Loading, Notice, Time } from './components/common.js';
import { count } from './format.js';
import { useApi, useFocusHeading, useNow, usePoll, useTitle } from './hooks.js';
import { Can, useCan } from './access.js';

const PAGE = 100;

function sourceLabel(source: Record<string, unknown>): string {
  return Object.entries(source)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** Input refused at ingest, why, and a retry once the cause (usually the catalog or the sender) is fixed. */
export function Quarantine() {
  const api = useApi();
  const mayRetry = useCan('operator');
  const now = useNow();
  const heading = useFocusHeading<HTMLHeadingElement>('quarantine');
  useTitle('Quarantine');
  const [pages, setPages] = useState(1);
  const { data, error, reload } = usePoll(
    async (a) => {
      let records: QuarantineRecord[] = [];
      let after = 0;
      let page: QuarantinePage = { total: 0, records: [], next_after: null };
      for (let i = 0; i < pages; i++) {
        page = await a.get<QuarantinePage>(`/v1/quarantine?limit=${PAGE}&after=${after}`);
        records = records.concat(page.records);
        if (page.next_after === null) break;
        after = page.next_after;
      }
      return { total: page.total, records, more: page.next_after !== null };
    },
    5000,
    `q-${pages}`,
  );
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{
    tone: 'ok' | 'bad' | 'warn';
    text: string;
    still: QuarantineRetry['still_quarantined'];
  } | null>(null);

  const retry = async (ids: number[] | 'all') => {
    setBusy(true);
    setResult(null);
    try {
      const r = await api.post<QuarantineRetry>('/v1/quarantine/retry', ids === 'all' ? {} : { ids });
      const text =
        `Retried ${count(r.retried)}: ${count(r.stored)} stored, ${count(r.duplicates)} already in the log, ` +
        `${count(r.still_quarantined.length)} still refused.`;
      setResult({ tone: r.still_quarantined.length === 0 ? 'ok' : 'warn', text, still: r.still_quarantined });
      setPicked(new Set());
    } catch (e) {
      setResult({ tone: 'bad', text: messageOf(e), still: [] });
    } finally {
      setBusy(false);
      reload();
    }
  };

  const toggle = (id: number, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
  };

  return (
    <section aria-labelledby="q-heading">
      <div className="page-head">
        <h1 id="q-heading" ref={heading} tabIndex={-1}>
          Quarantine {data !== null && <span className="muted">({count(data.total)})</span>}
        </h1>
        <Can need="operator">
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy || picked.size === 0}
              onClick={() => void retry([...picked])}
            >
              Retry selected ({picked.size})
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy || data === null || data.total === 0}
              onClick={() => void retry('all')}
            >
              Retry all
            </button>
          </div>
        </Can>
      </div>
      <p className="muted">
        Input the service refused at ingest, with the reason. A retry validates the records again and stores those that
        now pass.
      </p>
      {result !== null && (
        <Notice tone={result.tone} alert={result.tone === 'bad'}>
          <p>{result.text}</p>
          {result.still.length > 0 && (
            <ul>
              {result.still.slice(0, 20).map((s) => (
                <li key={s.id}>
                  #{s.id}: {s.reason}
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      {error !== null && <LoadError error={error} retry={reload} />}
      {data === null && error === null && <Loading what="the quarantine" />}
      {data !== null && data.records.length === 0 && <p className="empty">Nothing has been refused at ingest.</p>}
      <ul className="quarantine">
        {data?.records.map((r) => (
          <li key={r.id} className="q-record" data-record={r.id}>
            <div className="check">
              {mayRetry && (
                <input
                  type="checkbox"
                  id={`q-${r.id}`}
                  checked={picked.has(r.id)}
                  onChange={(e) => toggle(r.id, e.target.checked)}
                />
              )}
              <label htmlFor={`q-${r.id}`}>
                <strong>#{r.id}</strong> {r.event_type !== null ? <code>{r.event_type}</code> : 'unknown type'}
              </label>
              <span className="muted">
                {' '}
                received <Time iso={r.received_at} now={now} />
              </span>
            </div>
            <p className="q-reason">{r.reason}</p>
            <p className="muted">From {sourceLabel(r.source)}</p>
            <details>
              <summary>Raw input</summary>
              <pre tabIndex={0} aria-label={`Raw input of record ${r.id}`}>
                {r.raw}
              </pre>
            </details>
          </li>
        ))}
      </ul>
      {data?.more && (
        <button type="button" className="secondary" onClick={() => setPages((p) => p + 1)}>
          Show more
        </button>
      )}
    </section>
  );
}
