import type { ExportStatus } from '../api/types.js';
import { count } from '../format.js';

/** The export's field transformations: each field, its action, and the values left as they were (not text). */
export function TransformationsPanel({ status }: { status: ExportStatus }) {
  const list = status.transformations ?? [];
  return (
    <section aria-labelledby="export-tf-heading" className="panel">
      <h2 id="export-tf-heading">Field transformations</h2>
      {list.length === 0 ? (
        <p className="muted">None: every field goes to mParticle as Braze sent it.</p>
      ) : (
        <table className="stack export-transformations">
          <caption className="sr-only">Fields changed before mapping</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Sent as</th>
              <th scope="col" className="num">
                Selected types with it
              </th>
              <th scope="col" className="num">
                Left unchanged (not text)
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.field} data-field={t.field}>
                <th scope="row" data-label="Field">
                  <code>{t.field}</code>
                </th>
                <td data-label="Sent as">{t.action === 'hash' ? 'SHA-256 hash' : '[REDACTED]'}</td>
                <td data-label="Selected types with it" className="num">
                  {count(t.selected_types_with_field)}
                </td>
                <td data-label="Left unchanged (not text)" className="num">
                  {count(t.not_string)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
