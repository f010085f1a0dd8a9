import type { RefObject } from 'react';

/** Everything that stops the form from being saved, each linked to its field; focused after a failed submit. */
export function ErrorSummary({
  anchor,
  fields,
  general,
  lead = null,
}: {
  anchor: RefObject<HTMLDivElement | null>;
  fields: Record<string, string>;
  general: string[];
  /** What the service said, in a sentence, when it refused the form. */
  lead?: string | null;
}) {
  const n = Object.keys(fields).length + general.length;
  return (
    <div ref={anchor} tabIndex={-1} className="error-summary-anchor">
      {n > 0 && (
        <div className="notice bad" role="alert">
          {lead !== null && <p className="error-lead">{lead}</p>}
          <p>
            <strong>{n === 1 ? 'One thing needs fixing' : `${n} things need fixing`} before this can be saved:</strong>
          </p>
          <ul>
            {Object.entries(fields).map(([field, message]) => (
              <li key={field}>
                <a href={`#${field}`}>{message}</a>
              </li>
            ))}
            {general.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
