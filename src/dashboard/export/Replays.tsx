import { useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/client.js';
import { useCan } from '../access.js';
import { Notice } from '../components/common.js';
import { Field } from '../components/Field.js';
import { count, dateTime } from '../format.js';
import { useApi, usePoll } from '../hooks.js';
import { ReplayList } from './ReplayList.js';
import { isoToLocal, localToIso, type ReplayPreview, type ReplayView } from './replay-types.js';

type Step =
  | { kind: 'edit' }
  | { kind: 'counting' }
  | { kind: 'confirm'; preview: ReplayPreview }
  | { kind: 'sending'; preview: ReplayPreview };

/**
 * "Re-send a time range": pick from and to, see how many events the log holds for them (this export's types and
 * sources) before confirming, then follow the replay's progress in the list below, which updates by itself.
 */
export function Replays({ exportId, now }: { exportId: string; now: number }) {
  const canReplay = useCan('operator');
  const api = useApi();
  const base = `/v1/exports/${encodeURIComponent(exportId)}`;
  const list = usePoll((a) => a.get<{ replays: ReplayView[] }>(`${base}/replays`), 2000, exportId);
  const [from, setFrom] = useState(() => isoToLocal(Date.now() - 24 * 3_600_000));
  const [to, setTo] = useState(() => isoToLocal(Date.now()));
  const [step, setStep] = useState<Step>({ kind: 'edit' });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const range = () => {
    const fromIso = localToIso(from);
    const toIso = localToIso(to);
    const missing: Record<string, string> = {};
    if (fromIso === null) missing.from = 'Give the start of the range: a date and a time.';
    if (toIso === null) missing.to = 'Give the end of the range: a date and a time.';
    return { fromIso, toIso, missing };
  };

  const fail = (e: unknown) => {
    const said = e instanceof ApiError ? e.fields : {};
    setFields(said);
    // The first field in error takes the focus, so that its sentence is read (aria-describedby).
    const first = ['from', 'to'].find((f) => said[f] !== undefined);
    if (first !== undefined) window.setTimeout(() => document.getElementById(`replay-${first}`)?.focus(), 0);
    setProblem(messageOf(e));
    setStep({ kind: 'edit' });
  };

  const count_ = async (e: FormEvent) => {
    e.preventDefault();
    setStarted(null);
    const { fromIso, toIso, missing } = range();
    setFields(missing);
    setProblem(null);
    if (fromIso === null || toIso === null) {
      window.setTimeout(() => document.getElementById(`replay-${fromIso === null ? 'from' : 'to'}`)?.focus(), 0);
      return;
    }
    setStep({ kind: 'counting' });
    try {
      const q = new URLSearchParams({ from: fromIso, to: toIso });
      setStep({ kind: 'confirm', preview: await api.get<ReplayPreview>(`${base}/replay-preview?${q}`) });
    } catch (err) {
      fail(err);
    }
  };

  const send = async (preview: ReplayPreview) => {
    setStep({ kind: 'sending', preview });
    try {
      const r = await api.post<ReplayView>(`${base}/replay`, { from: preview.from, to: preview.to });
      setStarted(
        `Replay ${r.generation} started: it re-sends ${count(r.events)} event${r.events === 1 ? '' : 's'}. ` +
          'Its progress is in the list below.',
      );
      setStep({ kind: 'edit' });
      list.reload();
    } catch (err) {
      fail(err);
    }
  };

  const edit = (set: (v: string) => void) => (v: string) => {
    set(v);
    if (step.kind === 'confirm') setStep({ kind: 'edit' });
  };
  const preview = step.kind === 'confirm' || step.kind === 'sending' ? step.preview : null;

  if (!canReplay) {
    // A viewer sees the replays and their progress; asking for one is an operator's.
    return (
      <section aria-labelledby="replays-heading" className="panel">
        <h2 id="replays-heading">Replays</h2>
        {list.error !== null && <Notice tone="warn">Could not refresh the replays: {list.error.message}</Notice>}
        {list.data !== null && <ReplayList replays={list.data.replays} now={now} />}
      </section>
    );
  }
  return (
    <section aria-labelledby="replays-heading" className="panel">
      <h2 id="replays-heading">Re-send a time range</h2>
      <p className="muted">
        Sends again what the log holds for a range of event times (this export's event types and sources), as a replay
        with its own request ids. Times are in your time zone ({zone}).
      </p>
      <form className="replay-form" onSubmit={(e) => void count_(e)} noValidate>
        <Field id="replay-from" label="From" error={fields.from}>
          {(p) => <input type="datetime-local" {...p} value={from} onChange={(e) => edit(setFrom)(e.target.value)} />}
        </Field>
        <Field id="replay-to" label="To" error={fields.to}>
          {(p) => <input type="datetime-local" {...p} value={to} onChange={(e) => edit(setTo)(e.target.value)} />}
        </Field>
        <div className="form-actions">
          <button type="submit" className="secondary" disabled={step.kind === 'counting' || step.kind === 'sending'}>
            {step.kind === 'counting' ? 'Counting…' : 'Count events'}
          </button>
        </div>
      </form>
      {/* A sentence about one field stands next to it; the others (an unknown export, no answer) here. */}
      {problem !== null && Object.keys(fields).length === 0 && (
        <Notice tone="bad" alert>
          {problem}
        </Notice>
      )}
      {preview !== null && (
        <div className="notice info replay-confirm" role="status">
          <p>
            The log holds <strong>{count(preview.events)}</strong> event{preview.events === 1 ? '' : 's'} of this
            export's types and sources from {dateTime(preview.from)} to {dateTime(preview.to)}.
            {preview.no_feed > 0 &&
              ` ${count(preview.no_feed)} of them have no feed in this export (their platform's feed has no key and there is no Unbound feed) and are not sent.`}
          </p>
          <div className="actions">
            {preview.events - preview.no_feed > 0 ? (
              <button
                type="button"
                className="primary"
                disabled={step.kind === 'sending'}
                onClick={() => void send(preview)}
              >
                {step.kind === 'sending' ? 'Starting…' : `Re-send ${count(preview.events - preview.no_feed)} events`}
              </button>
            ) : (
              <span>Nothing to re-send: choose another range.</span>
            )}
            <button type="button" className="secondary" onClick={() => setStep({ kind: 'edit' })}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {started !== null && <Notice tone="ok">{started}</Notice>}
      <h3>Replays</h3>
      {list.error !== null && <Notice tone="warn">Could not refresh the replays: {list.error.message}</Notice>}
      {list.data !== null && <ReplayList replays={list.data.replays} now={now} />}
    </section>
  );
}
