import { Time } from '../components/common.js';
import { usePoll } from '../hooks.js';

/** One change to the export, from the audit log (GET /v1/audit?export=). */
interface AuditEntry {
  id: number;
  at: string;
  token: string;
  action: string;
  changes: ({ field: string; before?: unknown; after?: unknown; secret?: true } & Record<string, unknown>)[];
  detail: Record<string, unknown>;
}

const ACTIONS: Record<string, string> = {
  'export.create': 'created the export',
  'export.update': 'changed settings',
  'export.pause': 'paused',
  'export.resume': 'resumed',
  'export.delete': 'deleted the export',
  'export.replay': 'started a replay',
  'export.test_events': 'sent test events',
  'export.test_credentials': 'checked the credentials',
  'export.dead_letters.retry': 'retried dead letters',
};

const show = (v: unknown): string => (v === null || v === undefined ? 'nothing' : JSON.stringify(v));

function summary(e: AuditEntry): string | null {
  const d = e.detail;
  if (e.action === 'export.replay') return `from ${String(d.from)} to ${String(d.to)}`;
  if (e.action === 'export.dead_letters.retry') return `${String(d.delivered)} delivered, ${String(d.failed)} failed`;
  if (e.action === 'export.test_events' && Array.isArray(d.types)) return `${d.types.length} type(s)`;
  return null;
}

/** Who changed this export, what and when, newest first; a secret shows only as changed. */
export function History({ exportId, now }: { exportId: string; now: number }) {
  const { data, error } = usePoll(
    (api) => api.get<{ entries: AuditEntry[] }>(`/v1/audit?export=${encodeURIComponent(exportId)}&limit=20`),
    10_000,
    `history-${exportId}`,
  );
  return (
    <section aria-labelledby="history-heading" className="panel">
      <h2 id="history-heading">History</h2>
      {error !== null && <p className="muted">Could not load the history: {error.message}</p>}
      {data !== null && data.entries.length === 0 && <p className="muted">No changes recorded.</p>}
      <ul className="history plain">
        {data?.entries.map((e) => {
          const extra = summary(e);
          return (
            <li key={e.id} data-audit={e.action}>
              <Time iso={e.at} now={now} /> <strong>{e.token}</strong> {ACTIONS[e.action] ?? e.action}
              {extra !== null && <span className="muted"> ({extra})</span>}
              {e.action !== 'export.create' && e.changes.length > 0 && (
                <ul className="changes">
                  {e.changes.map((c) => (
                    <li key={c.field}>
                      <code>{c.field}</code>: {c.secret === true ? 'changed' : `${show(c.before)} → ${show(c.after)}`}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
