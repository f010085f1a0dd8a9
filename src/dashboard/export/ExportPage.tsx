import { useState } from 'react';
import { messageOf } from '../api/client.js';
import { exportWithStatus } from '../api/exports.js';
import type { SeriesPoint } from '../api/types.js';
import { LoadError, Loading, Notice, StateBadge } from '../components/common.js';
import { count, dateTime, destinationLabel, feedLabel } from '../format.js';
import { useApi, useFocusHeading, useNow, usePoll, useTitle } from '../hooks.js';
import { Link, navigate, paths } from '../router.js';
import { DeliveryChart } from './Chart.js';
import { linesOf } from './series.js';
import { ConfirmDelete } from './ConfirmDelete.js';
import { DeadLetters } from './DeadLetters.js';
import { Replays } from './Replays.js';
import { StartedFrom } from './StartedFrom.js';
import { FeedCard } from './FeedCard.js';
import { SourcesPanel } from './SourcesPanel.js';
import { TransformationsPanel } from './TransformationsPanel.js';
import { TypeTable } from './TypeTable.js';
import { Can } from '../access.js';
import { History } from './History.js';

const PERIODS = [1, 3, 12, 24];

/** One export at a glance: is data flowing, and if not, why and what to do. */
export function ExportPage({ id }: { id: string }) {
  const api = useApi();
  const now = useNow(2000);
  const enc = encodeURIComponent(id);
  const { data, error, reload } = usePoll((a) => exportWithStatus(a, id), 2000, id);
  const [hours, setHours] = useState(3);
  const series = usePoll(
    (a) => a.get<{ points: SeriesPoint[] }>(`/v1/exports/${enc}/series?hours=${hours}`).then((r) => r.points),
    10_000,
    `${id}:${hours}`,
  );
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const heading = useFocusHeading<HTMLHeadingElement>(id);
  useTitle(data?.view.name ?? 'Export');

  const act = async (what: 'pause' | 'resume' | 'delete') => {
    setBusy(what);
    setActionError(null);
    try {
      if (what === 'delete') {
        await api.del(`/v1/exports/${enc}`);
        navigate(paths.list());
        return;
      }
      await api.post(`/v1/exports/${enc}/${what}`);
      reload();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(null);
      setConfirming(false);
    }
  };

  if (error !== null && data === null) {
    return (
      <section>
        <h1 tabIndex={-1}>Export</h1>
        <LoadError error={error} retry={reload} />
      </section>
    );
  }
  if (data === null) return <Loading what="the export" />;
  const { view, status } = data;
  return (
    <section aria-labelledby="export-heading">
      <p className="breadcrumb">
        <Link to={paths.list()}>Exports</Link> › {view.name}
      </p>
      <div className="page-head">
        <h1 id="export-heading" ref={heading} tabIndex={-1}>
          {view.name}{' '}
          {view.state === 'paused' ? (
            <StateBadge phase="paused" />
          ) : (
            <span className="badge ok" aria-label="export active">
              Active
            </span>
          )}
        </h1>
        <div className="actions">
          <Can need="operator">
            <Link to={paths.test(id)} className="button primary">
              Send test events
            </Link>
          </Can>
          <Can need="admin">
            <Link to={paths.edit(id)} className="button secondary">
              Edit
            </Link>
          </Can>
          <Can need="operator">
            <button
              type="button"
              className="secondary"
              disabled={busy !== null}
              onClick={() => void act(view.state === 'paused' ? 'resume' : 'pause')}
            >
              {view.state === 'paused' ? 'Resume' : 'Pause'}
            </button>
          </Can>
          <Can need="admin">
            <button type="button" className="danger" disabled={busy !== null} onClick={() => setConfirming(true)}>
              Delete
            </button>
          </Can>
        </div>
      </div>
      <p className="muted summary-line">
        To {destinationLabel(view.destination)} ({view.environment}) · {count(view.events.length)} event types ·{' '}
        {count(status.events_per_second)} events/s now · contact {view.contact_email}
      </p>
      <StartedFrom view={view} />
      {error !== null && <Notice tone="warn">Could not refresh: {error.message}</Notice>}
      {actionError !== null && (
        <Notice tone="bad" alert>
          {actionError}
        </Notice>
      )}
      {status.warnings.length > 0 && (
        <Notice tone="warn">
          <ul>
            {status.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Notice>
      )}

      <section aria-labelledby="feeds-heading" className="panel">
        <h2 id="feeds-heading">Feeds</h2>
        <div className="feed-cards">
          {status.feeds.map((f) => (
            <FeedCard key={f.id} exportId={id} feed={f} now={now} />
          ))}
        </div>
      </section>

      <SourcesPanel status={status} now={now} />
      <TransformationsPanel status={status} />

      <Replays exportId={id} now={now} />

      <section aria-labelledby="chart-heading" className="panel">
        <div className="section-head">
          <h2 id="chart-heading">Delivered events per minute</h2>
          <div className="field inline">
            <label htmlFor="chart-period">Period</label>
            <select id="chart-period" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
              {PERIODS.map((h) => (
                <option key={h} value={h}>
                  Last {h} hour{h === 1 ? '' : 's'}
                </option>
              ))}
            </select>
          </div>
        </div>
        {series.data === null ? (
          <Loading what="the chart" />
        ) : (
          <DeliveryChart
            lines={linesOf(
              series.data,
              status.feeds.map((f) => f.id),
              hours,
              now,
            )}
            hours={hours}
            now={now}
          />
        )}
      </section>

      <section aria-labelledby="types-heading" className="panel">
        <h2 id="types-heading">Events by type</h2>
        <TypeTable status={status} />
      </section>

      {status.drops.length > 0 && (
        <section aria-labelledby="drops-heading" className="panel">
          <h2 id="drops-heading">Dropped after the hold window</h2>
          <ul className="plain">
            {status.drops.map((d, i) => (
              <li key={i}>
                <strong>{count(d.count)}</strong> {d.type} on the {feedLabel(d.feed)} feed: {d.reason}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="errors-heading" className="panel">
        <h2 id="errors-heading">Recent errors</h2>
        {status.recent_errors.length === 0 ? (
          <p className="muted">None.</p>
        ) : (
          <ul className="errors plain">
            {status.recent_errors.map((e, i) => (
              <li key={i}>
                {e.at !== null && <time dateTime={e.at}>{dateTime(e.at)}</time>} <strong>{feedLabel(e.feed)}</strong>:{' '}
                {e.message}
              </li>
            ))}
          </ul>
        )}
      </section>

      <DeadLetters exportId={id} now={now} onChange={reload} />
      <History exportId={id} now={now} />
      <ConfirmDelete
        open={confirming}
        name={view.name}
        busy={busy === 'delete'}
        onCancel={() => setConfirming(false)}
        onConfirm={() => void act('delete')}
      />
    </section>
  );
}
