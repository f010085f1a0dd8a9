import type { QuarantineRecord } from './api/types.js';
import { Time } from './components/common.js';

/** One quarantined record: what it is, why it was refused, where it came from, and its raw text. */
export function QuarantineEntry({
  record: r,
  now,
  picked,
  busy,
  onPick,
  onDismiss,
}: {
  record: QuarantineRecord;
  now: number;
  picked: boolean;
  busy: boolean;
  /** null: not selectable (a dismissed record). */
  onPick: ((on: boolean) => void) | null;
  onDismiss: (() => void) | null;
}) {
  const title = (
    <>
      <strong>#{r.id}</strong> {r.event_type !== null ? <code>{r.event_type}</code> : 'unknown type'}
    </>
  );
  return (
    <li className="q-record" data-record={r.id}>
      <div className="q-head">
        {onPick !== null ? (
          <div className="check">
            <input type="checkbox" id={`q-${r.id}`} checked={picked} onChange={(e) => onPick(e.target.checked)} />
            <label htmlFor={`q-${r.id}`}>{title}</label>
          </div>
        ) : (
          <span>{title}</span>
        )}
        <span className="muted">
          received <Time iso={r.received_at} now={now} />
        </span>
        {onDismiss !== null && (
          <button
            type="button"
            className="secondary small"
            disabled={busy}
            onClick={onDismiss}
            aria-label={`Dismiss record ${r.id}`}
          >
            Dismiss
          </button>
        )}
      </div>
      <p className="q-reason">{r.reason}</p>
      <p className="q-origin">{r.origin}.</p>
      {r.dismissed_at !== null && (
        <p className="muted">
          Dismissed <Time iso={r.dismissed_at} now={now} />
          {r.dismissed_note !== null ? `: ${r.dismissed_note}` : ''}.
        </p>
      )}
      <details>
        <summary>Raw input</summary>
        <pre tabIndex={0} aria-label={`Raw input of record ${r.id}`}>
          {r.raw}
        </pre>
      </details>
    </li>
  );
}
