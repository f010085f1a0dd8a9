import { FieldError } from '../components/Field.js';
import type { StartKind } from './formState.js';

/**
 * Where a new export starts reading the log (the API's `from`): now, the earliest event the log holds (back-fill),
 * or the events received since a time. Only when creating: an export's start is fixed; a replay re-sends a range.
 */
export function StartFrom({
  kind,
  time,
  error,
  onChange,
}: {
  kind: StartKind;
  time: string;
  error: string | undefined;
  onChange: (change: { startKind?: StartKind; startTime?: string }) => void;
}) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const choice = (value: StartKind, label: string) => (
    <div className="check">
      <input
        type="radio"
        id={`f-from-${value}`}
        name="from-kind"
        checked={kind === value}
        onChange={() => onChange({ startKind: value })}
      />
      <label htmlFor={`f-from-${value}`}>{label}</label>
    </div>
  );
  return (
    <fieldset className={`group${error !== undefined ? ' invalid' : ''}`} id="f-from" tabIndex={-1}>
      <legend>Start from</legend>
      {choice('now', 'Now: only events received from now on')}
      {choice('earliest', 'The earliest event the log holds: back-fill everything it keeps')}
      {choice('time', 'Events received since a time')}
      {kind === 'time' && (
        <div className={`field${error !== undefined ? ' invalid' : ''}`}>
          <label htmlFor="f-from-at">Received since ({zone})</label>
          <input
            type="datetime-local"
            id="f-from-at"
            value={time}
            aria-invalid={error !== undefined}
            {...(error !== undefined ? { 'aria-describedby': 'f-from-error' } : {})}
            onChange={(e) => onChange({ startTime: e.target.value })}
          />
        </div>
      )}
      <p className="hint">Earlier events can be sent later from the export's page (Re-send a time range).</p>
      {error !== undefined && <FieldError id="f-from-error" message={error} />}
    </fieldset>
  );
}
