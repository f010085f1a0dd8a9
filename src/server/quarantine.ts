import { retryQuarantined } from '../ingest/retry.js';
import { validatorVersion } from '../ingest/validator.js';
import type { Store } from '../store/port.js';
import { DEFAULT_SOURCE, type NewEvent, type QuarantineRecord } from '../types.js';

export interface RetrySummary {
  retried: number;
  stored: number;
  duplicates: number;
  stillQuarantined: { id: number; reason: string }[];
}

/**
 * Replay quarantined input after a fix (a catalog update, a corrected sender): each record is validated again; the
 * valid ones are appended to the log and leave quarantine, the others stay with their new reason. Used by the API
 * and by `currents quarantine retry`.
 */
export async function retryQuarantine(
  store: Store,
  ids: readonly number[] | 'all',
  ctx: { partitions: number; now: () => number },
): Promise<RetrySummary> {
  const summary: RetrySummary = { retried: 0, stored: 0, duplicates: 0, stillQuarantined: [] };
  const pageSize = 500;
  let afterId = 0;
  for (;;) {
    const records =
      ids === 'all'
        ? await store.listQuarantine({ limit: pageSize, afterId })
        : await store.getQuarantine(ids.slice(afterId, afterId + pageSize));
    if (records.length === 0) break;
    afterId = ids === 'all' ? records[records.length - 1]!.id : afterId + pageSize;
    const events: NewEvent[] = [];
    const fixedIds: number[] = [];
    for (const record of records) {
      summary.retried += 1;
      const result = retryQuarantined(record.raw, {
        receivedAt: ctx.now(),
        partitions: ctx.partitions,
        source: sourceOf(record),
      });
      if (result.ok) {
        events.push(result.event);
        fixedIds.push(record.id);
      } else {
        summary.stillQuarantined.push({ id: record.id, reason: result.reason });
        // Refused again, now by the running validation: a retry before it changes would fail the same way.
        if (result.reason !== record.reason || record.validator !== validatorVersion()) {
          await store.updateQuarantineReason(record.id, result.reason, validatorVersion());
        }
      }
    }
    if (events.length > 0) {
      // Append first: if the process dies between the two calls the record is retried again and dedup drops it.
      const appended = await store.append(events);
      summary.stored += appended.stored;
      summary.duplicates += appended.duplicateIndexes.length;
      await store.deleteQuarantine(fixedIds);
    }
    if (ids !== 'all' && afterId >= ids.length) break;
  }
  return summary;
}

/** The source a quarantined record came from (records kept before sources existed came through `default`). */
function sourceOf(record: QuarantineRecord): string {
  return record.source.kind === 'retry' ? DEFAULT_SOURCE : (record.source.sourceId ?? DEFAULT_SOURCE);
}

/**
 * Whether a retry of every open record would fail again: true when each was last refused by the running validation
 * (same service version and catalog). Records kept before the validation was recorded make it false.
 */
export async function retryWouldFail(store: Store): Promise<{ open: number; dismissed: number; unchanged: boolean }> {
  const counts = await store.quarantineCounts(validatorVersion());
  return { open: counts.open, dismissed: counts.dismissed, unchanged: counts.open > 0 && counts.refusedByOther === 0 };
}

/** Source ids to names, for describing where records came from. */
export async function sourceNames(store: Store): Promise<(id: string) => string | undefined> {
  const names = new Map((await store.listSources()).map((s) => [s.id, s.name]));
  return (id) => names.get(id);
}
