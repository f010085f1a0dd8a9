import type { ExportStatus } from '../api/types.js';
import { Time } from '../components/common.js';
import { count } from '../format.js';
import { Link, paths } from '../router.js';
import { kindLabel, lagLabel } from '../sources/sourceForm.js';

/** The sources an export takes: what each received, when, its lag, and what of it waits for this export. */
export function SourcesPanel({ status, now }: { status: ExportStatus; now: number }) {
  return (
    <section aria-labelledby="export-sources-heading" className="panel">
      <h2 id="export-sources-heading">Sources</h2>
      <p className="muted">
        {status.all_sources
          ? 'This export takes events from every source, also those added later.'
          : 'This export takes events from these sources only.'}
      </p>
      <table className="stack export-sources">
        <caption className="sr-only">Sources of this export</caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col" className="num">
              Received
            </th>
            <th scope="col">Last received</th>
            <th scope="col">Lag</th>
            <th scope="col" className="num">
              Waiting here
            </th>
          </tr>
        </thead>
        <tbody>
          {status.sources.map((s) => (
            <tr key={s.id} data-source={s.id}>
              <th scope="row" data-label="Source">
                <Link to={paths.source(s.id)}>{s.name}</Link> <span className="muted">{kindLabel(s.kind)}</span>
                {s.state === 'paused' && <span className="badge idle inline">Paused</span>}
              </th>
              <td data-label="Received" className="num">
                {count(s.received_events)}
              </td>
              <td data-label="Last received">
                <Time iso={s.last_received_at} now={now} />
              </td>
              <td data-label="Lag">{lagLabel(s.lag_seconds)}</td>
              <td data-label="Waiting here" className="num">
                {count(s.backlog_events)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
