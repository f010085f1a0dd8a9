import type { ListedExport } from './api/types.js';
import { LoadError, Loading, StateBadge, Time } from './components/common.js';
import { count, dateTime, destinationLabel, feedLabel } from './format.js';
import { useFocusHeading, useNow, usePoll, useTitle } from './hooks.js';
import { Link, paths } from './router.js';
import { Can } from './access.js';

export function ExportsList() {
  const heading = useFocusHeading<HTMLHeadingElement>('list');
  const now = useNow();
  const { data, error, reload } = usePoll(
    (api) => api.get<{ exports: ListedExport[] }>('/v1/exports').then((r) => r.exports),
    3000,
    'exports',
  );
  useTitle('Exports');

  return (
    <section aria-labelledby="exports-heading">
      <div className="page-head">
        <h1 id="exports-heading" ref={heading} tabIndex={-1}>
          Exports
        </h1>
        <Can need="admin">
          <Link to={paths.create()} className="button primary">
            Create mParticle export
          </Link>
        </Can>
      </div>
      {error !== null && <LoadError error={error} retry={reload} />}
      {data === null && error === null && <Loading what="exports" />}
      {data !== null && data.length === 0 && (
        <p className="empty">
          No exports yet: to watch the whole flow without an mParticle account, run{' '}
          <code>currents sandbox --feed demo-key:demo-secret</code> and create an export with the base URL{' '}
          <code>http://127.0.0.1:7701</code> and that key and secret for a feed.
        </p>
      )}
      {data !== null && data.length > 0 && (
        <table className="stack exports">
          <caption className="sr-only">Exports and the state of their feeds</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Destination</th>
              <th scope="col">Feeds</th>
              <th scope="col" className="num">
                Events/s now
              </th>
              <th scope="col" className="num">
                Backlog
              </th>
              <th scope="col">Last delivery</th>
            </tr>
          </thead>
          <tbody>
            {data.map((x) => (
              <tr key={x.id}>
                <th scope="row" data-label="Name">
                  <Link to={paths.export(x.id)}>{x.name}</Link>
                  {x.state === 'paused' && <span className="badge idle inline">Paused</span>}
                </th>
                <td data-label="Destination">{destinationLabel(x.destination)}</td>
                <td data-label="Feeds">
                  <ul className="feed-states">
                    {x.feed_states.map((f) => (
                      <li key={f.id}>
                        <span className="feed-name">{feedLabel(f.id)}</span> <StateBadge phase={f.state} />
                        {f.state === 'credentials_rejected' && f.drop_deadline !== null && (
                          <span className="deadline muted">
                            {count(f.backlog_events)} held; dropped from {dateTime(f.drop_deadline)}
                          </span>
                        )}
                      </li>
                    ))}
                  </ul>
                </td>
                <td data-label="Events/s now" className="num">
                  {count(x.events_per_second)}
                </td>
                <td data-label="Backlog" className="num">
                  {count(x.backlog_events)}
                </td>
                <td data-label="Last delivery">
                  <Time iso={x.last_delivery_at} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
