import { Fragment, useState } from 'react';
import { messageOf } from '../api/client.js';
import type { SourceStatusView, SourceView } from '../api/types.js';
import { LoadError, Loading, Notice, Time } from '../components/common.js';
import { count, dateTime } from '../format.js';
import { useApi, useFocusHeading, useNow, usePoll, useTitle } from '../hooks.js';
import { Link, navigate, paths } from '../router.js';
import { Confirm } from './Confirm.js';
import { kindLabel, lagLabel } from './sourceForm.js';
import { TokenOnce } from './TokenOnce.js';
import { useCan } from '../access.js';

type Action = 'pause' | 'resume' | 'token' | 'delete';

/** One source: what it received, when, how far behind it is, what its worker says, and pause, resume, token, delete. */
export function SourcePage({ id }: { id: string }) {
  const api = useApi();
  const may = { operator: useCan('operator'), admin: useCan('admin') };
  const now = useNow(2000);
  const enc = encodeURIComponent(id);
  const { data, error, reload } = usePoll(
    async (a) => {
      const [view, status] = await Promise.all([
        a.get<SourceView>(`/v1/sources/${enc}`),
        a.get<SourceStatusView>(`/v1/sources/${enc}/status`),
      ]);
      return { view, status };
    },
    2000,
    id,
  );
  const heading = useFocusHeading<HTMLHeadingElement>(id);
  useTitle(data?.view.name ?? 'Source');
  const [busy, setBusy] = useState<Action | null>(null);
  const [asking, setAsking] = useState<'token' | 'delete' | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [token, setToken] = useState<string | null>(null);

  const act = async (what: Action) => {
    setBusy(what);
    setActionError(null);
    try {
      if (what === 'delete') {
        await api.del(`/v1/sources/${enc}`);
        navigate(paths.sources());
        return;
      }
      if (what === 'token') setToken((await api.post<{ token: string }>(`/v1/sources/${enc}/token`)).token);
      else await api.post(`/v1/sources/${enc}/${what}`);
      reload();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(null);
      setAsking(null);
    }
  };

  if (error !== null && data === null) {
    return (
      <section>
        <h1 tabIndex={-1}>Source</h1>
        <LoadError error={error} retry={reload} />
      </section>
    );
  }
  if (data === null) return <Loading what="the source" />;
  const { view, status } = data;
  const builtIn = view.id === 'default';
  return (
    <section aria-labelledby="source-heading">
      <p className="breadcrumb">
        <Link to={paths.sources()}>Sources</Link> › {view.name}
      </p>
      <div className="page-head">
        <h1 id="source-heading" ref={heading} tabIndex={-1}>
          {view.name}{' '}
          <span className={`badge ${view.state === 'paused' ? 'idle' : 'ok'}`}>
            {view.state === 'paused' ? 'Paused' : 'Active'}
          </span>
        </h1>
        <div className="actions">
          {may.operator && (
            <button
              type="button"
              className="secondary"
              disabled={busy !== null}
              onClick={() => void act(view.state === 'paused' ? 'resume' : 'pause')}
            >
              {view.state === 'paused' ? 'Resume' : 'Pause'}
            </button>
          )}
          {view.kind === 'http' && !builtIn && may.admin && (
            <button type="button" className="secondary" disabled={busy !== null} onClick={() => setAsking('token')}>
              New token
            </button>
          )}
          {!builtIn && may.admin && (
            <button type="button" className="danger" disabled={busy !== null} onClick={() => setAsking('delete')}>
              Delete
            </button>
          )}
        </div>
      </div>
      <p className="muted summary-line">
        {kindLabel(view.kind)} · id <code>{view.id}</code> · created {dateTime(view.created_at)}
      </p>
      {actionError !== null && (
        <Notice tone="bad" alert>
          {actionError}
        </Notice>
      )}
      {error !== null && <Notice tone="warn">Could not refresh: {error.message}</Notice>}
      {token !== null && <TokenOnce id={view.id} name={view.name} token={token} />}
      {view.state === 'paused' && (
        <Notice tone="warn">
          Paused: {view.kind === 'http' ? 'its pushes are answered 503, and Braze retries them' : 'it is not read'}{' '}
          until it is resumed.
        </Notice>
      )}
      {status.last_error !== null && (
        <Notice tone="bad">
          <p>{status.last_error}</p>
          {status.last_error_at !== null && (
            <p className="muted">
              <Time iso={status.last_error_at} now={now} />
            </p>
          )}
        </Notice>
      )}

      <section aria-labelledby="received-heading" className="panel">
        <h2 id="received-heading">Received</h2>
        <dl className="facts">
          <dt>Events received</dt>
          <dd className="received-count">{count(status.received_events)}</dd>
          <dt>Last received</dt>
          <dd>
            <Time iso={status.last_received_at} now={now} never="never" />
          </dd>
          <dt>Newest event time</dt>
          <dd>{status.newest_event_time === null ? '—' : dateTime(status.newest_event_time)}</dd>
          <dt>Lag</dt>
          <dd>{lagLabel(status.lag_seconds)}</dd>
          {status.message !== null && (
            <>
              <dt>Now</dt>
              <dd>{status.message}</dd>
            </>
          )}
        </dl>
      </section>

      <Settings view={view} />

      <section aria-labelledby="exports-heading" className="panel">
        <h2 id="exports-heading">Exports taking its events</h2>
        {status.exports.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <ul className="plain">
            {status.exports.map((e) => (
              <li key={e.id}>
                <Link to={paths.export(e.id)}>{e.name}</Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <Confirm
        open={asking === 'token'}
        title={`Give “${view.name}” a new token?`}
        text="Its current token stops working at once: update the Current in Braze with the new one, or its pushes are refused."
        keep="Keep the current token"
        confirm="Give a new token"
        busy={busy === 'token'}
        onCancel={() => setAsking(null)}
        onConfirm={() => void act('token')}
      />
      <Confirm
        open={asking === 'delete'}
        title={`Delete “${view.name}”?`}
        text="It takes no more events. Events it already sent stay in the log and in exports; its id cannot be used again."
        keep="Keep the source"
        confirm="Delete source"
        busy={busy === 'delete'}
        onCancel={() => setAsking(null)}
        onConfirm={() => void act('delete')}
      />
    </section>
  );
}

function Settings({ view }: { view: SourceView }) {
  const set = (flag: boolean | undefined) => (flag ? 'set (kept encrypted)' : 'not set');
  const rows: [string, string][] =
    view.kind === 'http'
      ? [
          ['Endpoint', `${location.origin}/v1/currents`],
          [
            'Token',
            view.id === 'default'
              ? "the service's ingest token (CURRENTS_INGEST_TOKEN)"
              : `its own (shown once), or the ingest token with ?source=${view.id}`,
          ],
        ]
      : [
          [view.kind === 'azure_blob' ? 'Container' : 'Bucket', view.container ?? view.bucket ?? ''],
          ['Prefix', view.prefix === '' ? '(the whole bucket)' : (view.prefix ?? '')],
          ...(view.kind === 's3'
            ? ([
                ['Region', view.region ?? ''],
                ['Endpoint', view.endpoint ?? 'AWS'],
                ['Access key', view.access_key_id ?? 'the standard AWS credential chain'],
                ['Secret access key', set(view.secret_access_key_set)],
              ] as [string, string][])
            : []),
          ...(view.kind === 'azure_blob'
            ? ([['Connection string', set(view.connection_string_set)]] as [string, string][])
            : []),
          ...(view.kind === 'gcs'
            ? ([
                ['Service account key', view.credentials_json_set ? set(true) : 'Application Default Credentials'],
                ['API endpoint', view.api_endpoint ?? 'Google'],
              ] as [string, string][])
            : []),
          ['Poll every', `${view.poll_interval_seconds ?? 60} s`],
          ['Import from', view.from == null ? 'the newest hour at start' : dateTime(view.from)],
        ];
  return (
    <section aria-labelledby="settings-heading" className="panel">
      <h2 id="settings-heading">{view.kind === 'http' ? 'How to push' : 'Settings'}</h2>
      <dl className="facts">
        {rows.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}
