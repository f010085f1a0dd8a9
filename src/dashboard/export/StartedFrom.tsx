import type { ExportView } from '../api/types.js';
import { count, dateTime } from '../format.js';

/** Where the export started reading the log: what it back-filled, and what only a replay would send. */
export function StartedFrom({ view }: { view: ExportView }) {
  const at = `log position ${count(view.start_seq)}`;
  const from = view.from ?? null;
  let text: string;
  if (from === 'earliest') text = `Started from the earliest event the log held (${at}): it back-filled the log.`;
  else if (from === 'now' || from === null) {
    text = `Started at its creation, ${dateTime(view.created_at)} (${at}): earlier events are sent only by a replay.`;
  } else text = `Started with the events received since ${dateTime(from)} (${at}): it back-filled from then.`;
  return (
    <p className="muted started-from" data-from={from ?? 'now'}>
      {text}
    </p>
  );
}
