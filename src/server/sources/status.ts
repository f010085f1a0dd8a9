import type { Store } from '../../store/port.js';
import type { ExportRecord, SourceRecord, SourceStatus, SourceTotals } from '../../types.js';

/**
 * What a source received and how far behind it is, as the API, the CLI and the dashboard show it; read from the store
 * alone, so every process answers the same.
 *
 * Lag: how far the newest thing received is behind now. For a storage source whose worker reports the time of the
 * newest object it imported, that time; otherwise the newest event time received. Null until something arrives.
 */
export function sourceFigures(totals: SourceTotals | undefined, status: SourceStatus | null, now: number) {
  const newestEventAt = totals?.newestEventTime == null ? null : totals.newestEventTime * 1000;
  const newest = status?.newestObjectAt ?? newestEventAt;
  return {
    received_events: totals?.events ?? 0,
    last_received_at: iso(totals?.lastReceivedAt ?? null),
    newest_event_time: iso(newestEventAt),
    lag_seconds: newest === null ? null : Math.max(0, Math.round((now - newest) / 1000)),
  };
}

/** Whether an export takes a source's events (an export without a list takes every source). */
export const takes = (record: ExportRecord, sourceId: string): boolean =>
  record.sources === undefined || record.sources.includes(sourceId);

export async function sourceStatus(record: SourceRecord, store: Store, now: number) {
  const [totals, status, exports] = await Promise.all([
    store.sourceTotals(),
    store.getSourceStatus(record.id),
    store.listExports(),
  ]);
  return {
    id: record.id,
    name: record.name,
    kind: record.config.kind,
    state: record.state,
    ...sourceFigures(
      totals.find((t) => t.source === record.id),
      status,
      now,
    ),
    message: status?.message ?? null,
    last_error: status?.lastError ?? null,
    last_error_at: iso(status?.lastErrorAt ?? null),
    last_run_at: iso(status?.lastRunAt ?? null),
    newest_object_at: iso(status?.newestObjectAt ?? null),
    exports: exports.filter((e) => takes(e, record.id)).map((e) => ({ id: e.id, name: e.name })),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
