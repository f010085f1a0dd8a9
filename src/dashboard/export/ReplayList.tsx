import { Time } from '../components/common.js';
import { count, dateTime, span } from '../format.js';
import type { ReplayState, ReplayView } from './replay-types.js';

const STATE: Record<ReplayState, { label: string; tone: string }> = {
  running: { label: 'Running', tone: 'warn' },
  done: { label: 'Done', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
};

/** Each replay of the export, newest first: its range, how far it is, and what became of its events. */
export function ReplayList({ replays, now }: { replays: readonly ReplayView[]; now: number }) {
  if (replays.length === 0) {
    return <p className="muted">No replay yet: re-send a time range above to see its progress here.</p>;
  }
  return (
    <ul className="replays plain" aria-label="Replays">
      {replays.map((r) => (
        <li key={r.generation} className="replay" data-replay={r.generation}>
          <div className="replay-head">
            <strong>Replay {r.generation}</strong>
            <span className={`badge ${STATE[r.state].tone}`}>{STATE[r.state].label}</span>
            <span className="muted">
              {dateTime(r.from)} → {dateTime(r.to)}
            </span>
          </div>
          <div className="replay-progress">
            <progress
              max={Math.max(r.events, 1)}
              value={r.events === 0 ? (r.state === 'running' ? 0 : 1) : r.sent}
              aria-label={`Replay ${r.generation}: ${count(r.sent)} of ${count(r.events)} events sent`}
            />
            <span>
              {count(r.sent)} of {count(r.events)} events sent ({r.percent}%)
            </span>
          </div>
          <p className="muted">
            {count(r.delivered)} delivered · {count(r.skipped)} skipped (no external user id) · {count(r.dead_lettered)}{' '}
            dead-lettered · {count(r.dropped)} dropped · started <Time iso={r.started_at} now={now} />
            {r.finished_at !== null && <>, took {span(r.seconds * 1000) ?? 'under 5 s'}</>}
          </p>
          {r.message !== null && <p className={r.state === 'failed' ? 'error-text' : 'muted'}>{r.message}</p>}
        </li>
      ))}
    </ul>
  );
}
