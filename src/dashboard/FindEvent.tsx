import { useState, type FormEvent } from 'react';
import { ApiError } from './api/client.js';
import type { EventTrace, Fate } from './api/types.js';
import { NotInLog } from './NotInLog.js';
import { Loading, LoadError, Time } from './components/common.js';
import { dateTime } from './format.js';
import { useFocusHeading, useNow, usePoll, useTitle } from './hooks.js';
import { Link, navigate, paths } from './router.js';

const FATE: Record<Fate, { label: string; tone: 'ok' | 'warn' | 'bad' | 'idle' }> = {
  delivered: { label: 'Delivered', tone: 'ok' },
  delivered_or_dropped: { label: 'Delivered or dropped', tone: 'warn' },
  in_flight: { label: 'Being sent', tone: 'ok' },
  waiting: { label: 'Waiting', tone: 'warn' },
  dead_lettered: { label: 'Dead-lettered', tone: 'bad' },
  no_feed: { label: 'No feed', tone: 'bad' },
  skipped: { label: 'Skipped', tone: 'idle' },
  not_selected: { label: 'Not selected', tone: 'idle' },
  source_not_selected: { label: 'Source not taken', tone: 'idle' },
  before_start: { label: 'Before the export', tone: 'idle' },
  test_of_other_export: { label: 'Another export’s test', tone: 'idle' },
};

/** "Where is my event?": look one event up by its Currents id and see, per export, what became of it. */
export function FindEvent({ id }: { id: string | null }) {
  const heading = useFocusHeading<HTMLHeadingElement>(`find-${id ?? ''}`);
  useTitle(id === null ? 'Find an event' : `Event ${id}`);
  const [text, setText] = useState(id ?? '');
  const [error, setError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = text.trim();
    if (value === '') {
      setError('Enter the event’s id: the `id` field of the Currents event.');
      return;
    }
    setError(null);
    navigate(paths.event(value));
  };

  return (
    <section aria-labelledby="find-heading">
      <h1 id="find-heading" ref={heading} tabIndex={-1}>
        Find an event
      </h1>
      <p className="muted">
        See where one event is: in the log, and in each export delivered, waiting, held, skipped or refused.
      </p>
      <form className="find" onSubmit={submit} noValidate role="search">
        <div className={`field${error !== null ? ' invalid' : ''}`}>
          <label htmlFor="event-id">Currents event id</label>
          <input
            id="event-id"
            name="event-id"
            type="text"
            enterKeyHint="search"
            autoComplete="off"
            spellCheck={false}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error !== null ? 'event-id-error' : undefined}
          />
          {error !== null && (
            <p className="error" id="event-id-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" className="primary">
          Find
        </button>
      </form>
      {id !== null && <TraceOf id={id} />}
    </section>
  );
}

function TraceOf({ id }: { id: string }) {
  const now = useNow();
  const { data, error, reload } = usePoll(
    (api) => api.get<EventTrace>(`/v1/events/${encodeURIComponent(id)}`),
    5000,
    id,
  );
  if (error instanceof ApiError && error.status === 404) return <NotInLog id={id} />;
  if (error !== null) return <LoadError error={error} retry={reload} />;
  if (data === null) return <Loading what="the event" />;
  const { log } = data;
  return (
    <div className="trace">
      <h2>
        <code>{data.event_id}</code>
      </h2>
      <dl className="facts">
        <dt>Type</dt>
        <dd>
          <code>{log.type}</code>
        </dd>
        <dt>Event time</dt>
        <dd>{dateTime(log.time)}</dd>
        <dt>Received</dt>
        <dd>
          <Time iso={log.received_at} now={now} /> from{' '}
          {log.source_name === null ? (
            <code>{log.source}</code>
          ) : (
            <Link to={paths.source(log.source)}>{log.source_name}</Link>
          )}
        </dd>
        <dt>External user id</dt>
        <dd>{log.external_user_id ?? <span className="muted">none</span>}</dd>
        <dt>App</dt>
        <dd>{log.app_id === null ? <span className="muted">none</span> : `${log.app_id} (${log.platform ?? '?'})`}</dd>
        <dt>In the log</dt>
        <dd>
          #{log.seq}, partition {log.partition}
        </dd>
      </dl>
      {data.exports.length === 0 ? (
        <p className="muted">No export exists yet: create one to send events like this one.</p>
      ) : (
        <table className="stack fates">
          <caption className="sr-only">What became of the event in each export</caption>
          <thead>
            <tr>
              <th scope="col">Export</th>
              <th scope="col">Fate</th>
              <th scope="col">What happened</th>
            </tr>
          </thead>
          <tbody>
            {data.exports.map((e) => (
              <tr key={e.export_id} data-export={e.export_id}>
                <th scope="row" data-label="Export">
                  <Link to={paths.export(e.export_id)}>{e.export_name}</Link>
                  {e.feed !== null && <span className="muted"> · {e.feed} feed</span>}
                </th>
                <td data-label="Fate">
                  <span className={`badge ${FATE[e.fate].tone}`}>{FATE[e.fate].label}</span>
                </td>
                <td data-label="What happened" className="fate-message">
                  {e.message}
                  {e.mparticle !== null && (
                    <details>
                      <summary>The mParticle event it maps to</summary>
                      <pre>{JSON.stringify(e.mparticle, null, 2)}</pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>The event as stored</summary>
        <pre>{JSON.stringify(data.event, null, 2)}</pre>
      </details>
    </div>
  );
}
