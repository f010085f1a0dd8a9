import type { ExportView } from '../api/types.js';
import { count, dateTime } from '../format.js';

/** Where the export started reading the log: what it back-filled, and what only a replay would send. */
export function StartedFrom({ view }: { view: ExportView }) {
  const at = `log position ${count(view.start_seq)}`;
  const from = view.from ?? null;
  let text: string;
  if (from === 'earliest') text = `Started from the earliest event the log held (${at}): it back-filled the log.`;
  else if (from === 'now') {
    text = `Started at its creation, ${dateTime(view.created_at)} (${at}): earlier events are sent only by a replay.`;
  } else if (from === null) {
    // Made before the setting was kept: the log position is all that is known.
    text = view.start_seq === 0 ? `Started from the beginning of the log (${at}).` : `Started at ${at}.`;
  } else text = `Started with the events received since ${dateTime(from)} (${at}): it back-filled from then.`;
  return (
    <p className="muted started-from" data-from={from ?? 'now'}>
      {text}
    </p>
  );
}
