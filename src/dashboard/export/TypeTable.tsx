import type { ExportStatus } from '../api/types.js';
import { count } from '../format.js';

/** What happened to each event type's events: the fates the delivery records, per type. */
export function TypeTable({ status }: { status: ExportStatus }) {
  const rows = [...status.event_types].sort((a, b) => a.type.localeCompare(b.type));
  return (
    <table className="stack types">
      <caption className="sr-only">Events per type</caption>
      <thead>
        <tr>
          <th scope="col">Event type</th>
          <th scope="col" className="num">
            Delivered
          </th>
          <th scope="col" className="num">
            Skipped (no external user id)
          </th>
          <th scope="col" className="num">
            Dead-lettered
          </th>
          <th scope="col" className="num">
            Dropped
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.type} data-type={t.type}>
            <th scope="row" data-label="Event type">
              <span className="mp-name">{t.mparticle_name ?? '—'}</span> <code className="type">{t.type}</code>
              {!t.selected && <span className="muted"> (no longer selected)</span>}
            </th>
            <td data-label="Delivered" className="num delivered">
              {count(t.delivered)}
            </td>
            <td data-label="Skipped (no external user id)" className="num skipped">
              {count(t.skipped_no_external_user_id)}
            </td>
            <td data-label="Dead-lettered" className="num dead-lettered">
              {count(t.dead_lettered)}
            </td>
            <td data-label="Dropped" className="num dropped">
              {count(t.dropped)}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" data-label="Event type">
            All types
          </th>
          <td data-label="Delivered" className="num">
            {count(status.totals.delivered)}
          </td>
          <td data-label="Skipped (no external user id)" className="num">
            {count(status.totals.skipped)}
          </td>
          <td data-label="Dead-lettered" className="num">
            {count(status.totals.dead_lettered)}
          </td>
          <td data-label="Dropped" className="num">
            {count(status.totals.dropped)}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}
