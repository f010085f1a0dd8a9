import type { ListedSource } from '../api/types.js';
import { LoadError, Loading, Time } from '../components/common.js';
import { count } from '../format.js';
import { useFocusHeading, useNow, usePoll, useTitle } from '../hooks.js';
import { Link, paths } from '../router.js';
import { kindLabel, lagLabel } from './sourceForm.js';
import { Can } from '../access.js';

/** Every source: each Braze workspace's Current as the service receives it, with what it received and its lag. */
export function SourcesList() {
  const heading = useFocusHeading<HTMLHeadingElement>('sources');
  const now = useNow();
  const { data, error, reload } = usePoll(
    (api) => api.get<{ sources: ListedSource[] }>('/v1/sources').then((r) => r.sources),
    3000,
    'sources',
  );
  useTitle('Sources');

  return (
    <section aria-labelledby="sources-heading">
      <div className="page-head">
        <h1 id="sources-heading" ref={heading} tabIndex={-1}>
          Sources
        </h1>
        <Can need="admin">
          <Link to={paths.newSource()} className="button primary">
            Add a source
          </Link>
        </Can>
      </div>
      <p className="muted">
        One source per Braze workspace: its Current pushes here over HTTP, or writes files to a bucket that is read. The
        built-in source <code>default</code> takes pushes made with the service&apos;s ingest token.
      </p>
      {error !== null && <LoadError error={error} retry={reload} />}
      {data === null && error === null && <Loading what="sources" />}
      {data !== null && (
        <table className="stack sources">
          <caption className="sr-only">Sources, what each received and how far behind it is</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col" className="num">
                Received
              </th>
              <th scope="col">Last received</th>
              <th scope="col">Lag</th>
            </tr>
          </thead>
          <tbody>
            {data.map((s) => (
              <tr key={s.id} data-source={s.id}>
                <th scope="row" data-label="Name">
                  <Link to={paths.source(s.id)}>{s.name}</Link> <code className="muted">{s.id}</code>
                  {s.state === 'paused' && <span className="badge idle inline">Paused</span>}
                  {s.last_error !== null && <p className="last-error">{s.last_error}</p>}
                </th>
                <td data-label="Kind">{kindLabel(s.kind)}</td>
                <td data-label="Received" className="num received">
                  {count(s.received_events)}
                </td>
                <td data-label="Last received">
                  <Time iso={s.last_received_at} now={now} />
                </td>
                <td data-label="Lag">{lagLabel(s.lag_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
