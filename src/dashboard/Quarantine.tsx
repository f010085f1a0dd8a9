import { useState } from 'react';
import { messageOf } from './api/client.js';
import type { QuarantineDismiss, QuarantinePage, QuarantineRecord, QuarantineRetry } from './api/types.js';
import { LoadError, Loading, Notice } from './components/common.js';
import { count } from './format.js';
import { useApi, useFocusHeading, useNow, usePoll, useTitle } from './hooks.js';
import { useCan } from './access.js';
import { QuarantineEntry } from './QuarantineEntry.js';
import { Link, paths } from './router.js';

const PAGE = 100;

type Result = { tone: 'ok' | 'bad' | 'warn'; text: string; still: QuarantineRetry['still_quarantined'] };

async function loadPages(
  get: (path: string) => Promise<QuarantinePage>,
  pages: number,
  filter: string,
): Promise<QuarantinePage & { more: boolean }> {
  let records: QuarantineRecord[] = [];
  let after = 0;
  let page: QuarantinePage | null = null;
  for (let i = 0; i < pages; i++) {
    page = await get(`/v1/quarantine?limit=${PAGE}&after=${after}${filter}`);
    records = records.concat(page.records);
    if (page.next_after === null) break;
    after = page.next_after;
  }
  return { ...page!, records, more: page!.next_after !== null };
}

/**
 * Input refused at ingest, why, and where it came from; a retry once the cause (the catalog, the sender) is fixed,
 * or a dismissal of what will never pass (kept, but out of the list and the counts).
 */
export function Quarantine({ event, dismissed }: { event: string | null; dismissed: boolean }) {
  const api = useApi();
  const mayRetry = useCan('operator');
  const now = useNow();
  const heading = useFocusHeading<HTMLHeadingElement>(`quarantine-${event ?? ''}-${dismissed}`);
  useTitle(dismissed ? 'Dismissed quarantine records' : 'Quarantine');
  const [pages, setPages] = useState(1);
  const filter =
    (event !== null ? `&event_id=${encodeURIComponent(event)}` : '') + (dismissed ? '&dismissed=true' : '');
  const { data, error, reload } = usePoll(
    (a) => loadPages((path) => a.get<QuarantinePage>(path), pages, filter),
    5000,
    `q-${pages}${filter}`,
  );
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  const act = async (run: () => Promise<Result>) => {
    setBusy(true);
    setResult(null);
    try {
      setResult(await run());
      setPicked(new Set());
    } catch (e) {
      setResult({ tone: 'bad', text: messageOf(e), still: [] });
    } finally {
      setBusy(false);
      reload();
    }
  };

  const retry = (ids: number[] | 'all') =>
    act(async () => {
      const r = await api.post<QuarantineRetry>('/v1/quarantine/retry', ids === 'all' ? {} : { ids });
      const text =
        `Retried ${count(r.retried)}: ${count(r.stored)} stored, ${count(r.duplicates)} already in the log, ` +
        `${count(r.still_quarantined.length)} still refused.`;
      return { tone: r.still_quarantined.length === 0 ? 'ok' : 'warn', text, still: r.still_quarantined };
    });

  const dismiss = (ids: number[]) =>
    act(async () => {
      const r = await api.post<QuarantineDismiss>('/v1/quarantine/dismiss', {
        ids,
        note: 'dismissed in the dashboard',
      });
      const which = r.dismissed.map((id) => `#${id}`).join(', ');
      return {
        tone: 'ok',
        text:
          `Dismissed ${which}: kept with the time and a note, but no longer listed or counted. ` +
          '“Dismissed records” lists them.',
        still: [],
      };
    });

  const toggle = (id: number, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
  };

  const futile = data?.retry_would_fail === true;
  const title = dismissed ? 'Dismissed quarantine records' : 'Quarantine';
  return (
    <section aria-labelledby="q-heading">
      <div className="page-head">
        <h1 id="q-heading" ref={heading} tabIndex={-1}>
          {title} {data !== null && event === null && <span className="muted">({count(data.total)})</span>}
        </h1>
        {!dismissed && mayRetry && (
          <div className="actions">
            <button
              type="button"
              className="secondary"
              disabled={busy || picked.size === 0}
              onClick={() => void dismiss([...picked])}
            >
              Dismiss selected ({picked.size})
            </button>
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
              className={futile ? 'secondary' : 'primary'}
              disabled={busy || data === null || data.total === 0}
              aria-describedby={futile ? 'q-futile' : undefined}
              onClick={() => void retry('all')}
            >
              Retry all
            </button>
          </div>
        )}
      </div>
      <p className="muted">
        {dismissed
          ? 'Records a person dismissed because they will never pass. They are kept, with when and why, but not retried or counted.'
          : 'Input the service refused at ingest, with the reason. A retry validates the records again and stores those that now pass; dismiss those that never will.'}{' '}
        {dismissed ? (
          <Link to={paths.quarantine()}>Back to the quarantine</Link>
        ) : (
          data !== null &&
          data.dismissed > 0 && (
            <Link to={paths.quarantine({ dismissed: true })}>Dismissed records ({count(data.dismissed)})</Link>
          )
        )}
      </p>
      {event !== null && (
        <Notice tone="info">
          <p>
            Showing the records of event <code>{event}</code> only.{' '}
            <Link to={paths.quarantine()}>Show every record</Link>
          </p>
        </Notice>
      )}
      {!dismissed && futile && data?.retry_note && (
        <Notice tone="info" id="q-futile">
          <p>{data.retry_note}</p>
        </Notice>
      )}
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
      {data !== null && data.records.length === 0 && (
        <p className="empty">
          {event !== null
            ? 'No record of this event is in the quarantine.'
            : dismissed
              ? 'Nothing has been dismissed.'
              : 'Nothing has been refused at ingest.'}
        </p>
      )}
      <ul className="quarantine">
        {data?.records.map((r) => (
          <QuarantineEntry
            key={r.id}
            record={r}
            now={now}
            picked={picked.has(r.id)}
            busy={busy}
            onPick={dismissed || !mayRetry ? null : (on) => toggle(r.id, on)}
            onDismiss={dismissed || !mayRetry ? null : () => void dismiss([r.id])}
          />
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
