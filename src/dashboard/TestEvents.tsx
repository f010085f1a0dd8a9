import { useState, type FormEvent } from 'react';
import { messageOf } from './api/client.js';
import { exportWithStatus } from './api/exports.js';
import type { ExportStatus, TestEventsResult, TypeStatus } from './api/types.js';
import { LoadError, Loading, Notice } from './components/common.js';
import { Field } from './components/Field.js';
import { count } from './format.js';
import { useApi, useFocusHeading, usePoll, useTitle } from './hooks.js';
import { Link, paths } from './router.js';

type Counts = Record<
  string,
  Pick<TypeStatus, 'delivered' | 'dead_lettered' | 'skipped_no_external_user_id' | 'mparticle_name'>
>;

/** A type as the export page and the form show it: its mParticle event name, then its Currents type. */
function TypeName({ type, name }: { type: string; name: string | null | undefined }) {
  return (
    <>
      <span className="mp-name">{name ?? '(mParticle uninstall)'}</span> <code className="type">{type}</code>
    </>
  );
}

function countsOf(status: ExportStatus): Counts {
  return Object.fromEntries(status.event_types.map((t) => [t.type, t]));
}

/**
 * Like Braze's "Send test events": one event of each chosen type, with placeholder values, goes through the real
 * pipeline (log, mapping, feed routing, mParticle), and this page counts them as they are delivered.
 */
export function TestEvents({ id }: { id: string }) {
  const api = useApi();
  const enc = encodeURIComponent(id);
  const heading = useFocusHeading<HTMLHeadingElement>(`test-${id}`);
  const { data, error, reload } = usePoll(
    async (a) => {
      const { view, status } = await exportWithStatus(a, id);
      return { view, counts: countsOf(status) };
    },
    2000,
    id,
  );
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [userId, setUserId] = useState('currents-test-user');
  const [sent, setSent] = useState<{ result: TestEventsResult; before: Counts } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useTitle('Send test events');

  if (error !== null && data === null) return <LoadError error={error} retry={reload} />;
  if (data === null) return <Loading what="the export" />;
  const { view, counts } = data;
  const selected = chosen ?? new Set(view.events);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (selected.size === 0) {
      setFailure('Choose at least one event type to send.');
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const before = countsOf(await api.get<ExportStatus>(`/v1/exports/${enc}/status`));
      const result = await api.post<TestEventsResult>(`/v1/exports/${enc}/test-events`, {
        types: view.events.filter((t) => selected.has(t)),
        external_user_id: userId.trim(),
      });
      setSent({ result, before });
      reload();
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = (type: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(type);
    else next.delete(type);
    setChosen(next);
  };

  return (
    <section aria-labelledby="test-heading">
      <p className="breadcrumb">
        <Link to={paths.list()}>Exports</Link> › <Link to={paths.export(id)}>{view.name}</Link> › Test events
      </p>
      <h1 id="test-heading" ref={heading} tabIndex={-1}>
        Send test events
      </h1>
      <p>
        Sends one event of each chosen type, with placeholder values, through the real pipeline to this export's feeds,
        so you can see them arrive in mParticle (or in the sandbox). Only this export receives them.
      </p>
      <form onSubmit={(e) => void send(e)} noValidate>
        <Field
          id="t-user"
          label="External user id of the test events"
          hint="Events of users without one are not sent to mParticle."
        >
          {(p) => <input {...p} type="text" value={userId} onChange={(e) => setUserId(e.target.value)} />}
        </Field>
        <fieldset className="group">
          <legend>
            Event types ({selected.size} of {view.events.length})
          </legend>
          <ul className="test-types">
            {view.events.map((t) => (
              <li key={t} className="check">
                <input
                  type="checkbox"
                  id={`t-${t}`}
                  checked={selected.has(t)}
                  onChange={(e) => toggle(t, e.target.checked)}
                />
                <label htmlFor={`t-${t}`}>
                  <TypeName type={t} name={counts[t]?.mparticle_name} />
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        {failure !== null && (
          <Notice tone="bad" alert>
            {failure}
          </Notice>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send test events'}
          </button>
          <Link to={paths.export(id)} className="button secondary">
            Back to the export
          </Link>
        </div>
      </form>
      {sent !== null && <Arrivals sent={sent} counts={counts} />}
    </section>
  );
}

function Arrivals({ sent, counts }: { sent: { result: TestEventsResult; before: Counts }; counts: Counts }) {
  const rows = sent.result.sent.map((s) => {
    const was = sent.before[s.type];
    const is = counts[s.type];
    const delta = (k: 'delivered' | 'dead_lettered' | 'skipped_no_external_user_id') =>
      Math.max(0, (is?.[k] ?? 0) - (was?.[k] ?? 0));
    return {
      ...s,
      delivered: delta('delivered'),
      dead: delta('dead_lettered'),
      skipped: delta('skipped_no_external_user_id'),
    };
  });
  const arrived = rows.filter((r) => r.delivered > 0).length;
  return (
    <section aria-labelledby="arrivals-heading" className="panel">
      <h2 id="arrivals-heading">Sent {count(sent.result.sent.length)} test events</h2>
      <p role="status" className="arrivals-count">
        {arrived} of {rows.length} types delivered to mParticle so far.
      </p>
      <table className="stack">
        <thead>
          <tr>
            <th scope="col">Event type</th>
            <th scope="col">Since sending</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-type={r.type}>
              <th scope="row" data-label="Event type">
                <TypeName type={r.type} name={r.mparticle_name} />{' '}
                <Link to={paths.event(r.id)} aria-label={`Trace the ${r.type} test event`}>
                  trace
                </Link>
              </th>
              <td data-label="Since sending">
                {r.delivered > 0 ? (
                  <span className="badge ok">Delivered</span>
                ) : r.dead > 0 ? (
                  <span className="badge bad">Dead-lettered</span>
                ) : r.skipped > 0 ? (
                  <span className="badge warn">Skipped</span>
                ) : (
                  <span className="badge idle">Waiting</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
