import type { Sandbox, Service } from './harness.js';

/**
 * The product's promise as a user checks it from outside: every event pushed (and selected) is in mParticle (the
 * sandbox) or counted skipped, dead-lettered or dropped in the export's status; the counters add up to what was
 * pushed; the trace of an event agrees with what the sandbox holds; and once the feed settles no partition keeps a
 * chunk in flight or a backlog.
 */

export interface ExportStatus {
  state: string;
  feeds: {
    id: string;
    state: string;
    backlog_events: number;
    last_error: string | null;
    partitions: { partition: number; cursor: number; backlog_events: number; in_flight_to: number | null }[];
  }[];
  event_types: {
    type: string;
    delivered: number;
    skipped_no_external_user_id: number;
    dead_lettered: number;
    dropped: number;
  }[];
  totals: { delivered: number; skipped: number; dead_lettered: number; dropped: number; historical: number };
  dead_letters: number;
  drops: { feed: string; type: string; count: number; reason: string }[];
  recent_errors: { feed: string | null; message: string; at: string }[];
}

export async function statusOf(service: Service, exportId: string): Promise<ExportStatus> {
  const res = await service.api<ExportStatus>('GET', `/v1/exports/${exportId}/status`);
  if (res.status !== 200) throw new Error(`status of ${exportId} answered ${res.status}`);
  return res.body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What "settled" looked like: every feed with no backlog and no partition in flight. */
export function isSettled(s: ExportStatus): boolean {
  return s.feeds.every((f) => f.backlog_events === 0 && f.partitions.every((p) => p.in_flight_to === null));
}

/** Partitions that still have a chunk in flight or a backlog, for failure messages. */
export function unsettledPartitions(s: ExportStatus): string[] {
  return s.feeds.flatMap((f) =>
    f.partitions
      .filter((p) => p.in_flight_to !== null || p.backlog_events > 0)
      .map(
        (p) =>
          `${f.id}/${p.partition}: cursor ${p.cursor}, in flight to ${p.in_flight_to ?? '-'}, backlog ${p.backlog_events}`,
      ),
  );
}

/**
 * Wait until the export has no backlog and no chunk in flight (or `timeoutMs` passed), then until its counters stop
 * moving. Resolves either way: the caller asserts `settled` and still reports the rest of the accounting.
 */
export async function settle(
  service: Service,
  exportId: string,
  timeoutMs: number,
): Promise<{ settled: boolean; status: ExportStatus; waitedMs: number }> {
  const started = Date.now();
  let status = await statusOf(service, exportId);
  while (!isSettled(status) && Date.now() - started < timeoutMs) {
    await sleep(250);
    status = await statusOf(service, exportId);
  }
  const settled = isSettled(status);
  // Counters are committed with the cursor: one more look after settling shows the final figures.
  if (settled) {
    await sleep(300);
    status = await statusOf(service, exportId);
  }
  return { settled, status, waitedMs: Date.now() - started };
}

/** Per Currents event id, the source_request_ids of the sandbox's stored batches that carry it. */
export async function receivedIds(sandbox: Sandbox, keys: readonly string[]): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  for (const key of keys) {
    for (const b of await sandbox.batches(key)) {
      for (const e of b.batch.events) {
        const id = e.data.custom_attributes.source_request_id!;
        const list = seen.get(id) ?? [];
        list.push(b.batch.source_request_id ?? '(none)');
        seen.set(id, list);
      }
    }
  }
  return seen;
}

export interface TraceFate {
  fate: string;
  message: string;
}

export async function traceIn(service: Service, exportId: string, eventId: string): Promise<TraceFate> {
  const res = await service.api<{ exports: { export_id: string; fate: string; message: string }[] }>(
    'GET',
    `/v1/events/${eventId}`,
  );
  const inExport = res.body?.exports?.find((x) => x.export_id === exportId);
  return inExport ? { fate: inExport.fate, message: inExport.message } : { fate: `http ${res.status}`, message: '' };
}

export interface Accounting {
  pushed: number;
  /** Pushed events the sandbox holds (once or more). */
  received: number;
  /** Pushed events the sandbox does not hold. */
  missing: string[];
  /**
   * Events the sandbox stored in two batches or more. The sandbox keeps a batch once per source_request_id, so every
   * such event was sent again under an id mParticle had not seen: a duplicate its dedup cannot catch.
   */
  duplicated: string[];
  /** Event ids held by the export's dead letters. */
  deadLettered: string[];
  totals: ExportStatus['totals'];
  /** delivered + skipped + dead_lettered + dropped, from the status. */
  counted: number;
  /** Traces of a sample of missing events whose trace says they arrived ("delivered"). */
  missingTracedDelivered: { id: string; fate: string }[];
  /** Traces of a sample of received events whose trace says anything but delivered (or "delivered or dropped"). */
  receivedTracedOtherwise: { id: string; fate: string }[];
}

/** Everything a user would check after a run, for the pushed (and selected) events of one export. */
export async function account(
  service: Service,
  sandbox: Sandbox,
  exportId: string,
  keys: readonly string[],
  pushed: readonly Record<string, unknown>[],
  opts: { traceSample?: number } = {},
): Promise<Accounting> {
  const status = await statusOf(service, exportId);
  const got = await receivedIds(sandbox, keys);
  const ids = pushed.map((e) => e.id as string);
  const missing = ids.filter((id) => !got.has(id));
  const duplicated = ids.filter((id) => (got.get(id)?.length ?? 0) > 1);
  const letters = await service.api<{ dead_letters: { event_ids: string[] }[] }>(
    'GET',
    `/v1/exports/${exportId}/dead-letters?limit=1000`,
  );
  const deadLettered = (letters.body?.dead_letters ?? []).flatMap((d) => d.event_ids);
  const sample = opts.traceSample ?? 25;
  const missingTracedDelivered: Accounting['missingTracedDelivered'] = [];
  for (const id of spread(missing, sample)) {
    const t = await traceIn(service, exportId, id);
    if (t.fate === 'delivered') missingTracedDelivered.push({ id, fate: t.fate });
  }
  const receivedTracedOtherwise: Accounting['receivedTracedOtherwise'] = [];
  for (const id of spread(
    ids.filter((id) => got.has(id)),
    sample,
  )) {
    const t = await traceIn(service, exportId, id);
    if (t.fate !== 'delivered' && t.fate !== 'delivered_or_dropped') receivedTracedOtherwise.push({ id, fate: t.fate });
  }
  const t = status.totals;
  return {
    pushed: ids.length,
    received: ids.length - missing.length,
    missing,
    duplicated,
    deadLettered,
    totals: t,
    counted: t.delivered + t.skipped + t.dead_lettered + t.dropped,
    missingTracedDelivered,
    receivedTracedOtherwise,
  };
}

/** Up to `n` items spread over the list (first, last and evenly between). */
function spread<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  return Array.from({ length: n }, (_, i) => list[Math.round((i * (list.length - 1)) / (n - 1))]!);
}

/** A one-line summary for assertion messages. */
export function summary(a: Accounting): string {
  return (
    `pushed ${a.pushed}, in the sandbox ${a.received}, missing ${a.missing.length}, sent twice under new ids ` +
    `${a.duplicated.length}; status totals ${JSON.stringify(a.totals)} (counted ${a.counted}); ` +
    `missing events traced "delivered": ${a.missingTracedDelivered.length}`
  );
}
