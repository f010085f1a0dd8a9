import { z } from 'zod';
import { describeOrigin, type SourceName } from '../../ingest/quarantine-origin.js';
import type { Store } from '../../store/port.js';
import type { QuarantineRecord } from '../../types.js';
import type { Api } from '../api.js';
import { retryQuarantine, retryWouldFail, sourceNames } from '../quarantine.js';
import { packageVersion } from '../../version.js';
import {
  quarantineDismiss,
  quarantineDismissBody,
  quarantineListQuery,
  quarantinePage,
  quarantineRecord,
  quarantineRetry,
  quarantineRetryBody,
} from '../schemas/quarantine.js';
import type { AuditLog } from '../team/audit.js';

export function quarantineJson(r: QuarantineRecord, name: SourceName): z.infer<typeof quarantineRecord> {
  return {
    id: r.id,
    reason: r.reason,
    origin: describeOrigin(r.source, name),
    source: r.source,
    event_type: r.eventType,
    received_at: new Date(r.receivedAt).toISOString(),
    raw: r.raw,
    dismissed_at: r.dismissedAt === null ? null : new Date(r.dismissedAt).toISOString(),
    dismissed_note: r.dismissedNote,
  };
}

export function registerQuarantineRoutes(api: Api, deps: { store: Store; partitions: number; audit: AuditLog }): void {
  api.route({
    method: 'GET',
    url: '/v1/quarantine',
    tag: 'quarantine',
    summary: 'List input refused at ingest, with reason, where it came from and raw text (dismissed records apart)',
    auth: 'viewer',
    query: quarantineListQuery,
    responses: { 200: { description: 'a page of records', schema: quarantinePage } },
    handler: async ({ query }) => {
      const dismissed = query.dismissed === 'true';
      const records = query.event_id
        ? (await deps.store.listQuarantine({ limit: 100_000, afterId: query.after, dismissed })).filter((r) =>
            rawHasId(r.raw, query.event_id!),
          )
        : await deps.store.listQuarantine({ limit: query.limit, afterId: query.after, dismissed });
      const page = records.slice(0, query.limit);
      const name = await sourceNames(deps.store);
      const state = await retryWouldFail(deps.store);
      return {
        total: dismissed ? state.dismissed : state.open,
        dismissed: state.dismissed,
        records: page.map((r) => quarantineJson(r, name)),
        next_after: records.length >= query.limit && page.length > 0 ? page[page.length - 1]!.id : null,
        retry_would_fail: state.unchanged,
        retry_note: state.unchanged
          ? `Nothing changed since these were refused (same service version ${packageVersion()} and the same ` +
            'catalog): a retry now would refuse them again. Fix what sent them, or dismiss those that will never pass.'
          : null,
      };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/quarantine/retry',
    tag: 'quarantine',
    summary: 'Validate quarantined records again and store those that now pass',
    auth: 'operator',
    body: quarantineRetryBody,
    responses: { 200: { description: 'what the retry did', schema: quarantineRetry } },
    handler: async ({ body, request }) => {
      const summary = await retryQuarantine(deps.store, body.ids ?? 'all', {
        partitions: deps.partitions,
        now: Date.now,
      });
      await deps.audit.record(request, {
        action: 'quarantine.retry',
        targetKind: 'quarantine',
        targetId: null,
        detail: {
          ids: body.ids ?? 'all',
          retried: summary.retried,
          stored: summary.stored,
          still_quarantined: summary.stillQuarantined.length,
        },
      });
      return {
        retried: summary.retried,
        stored: summary.stored,
        duplicates: summary.duplicates,
        still_quarantined: summary.stillQuarantined,
      };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/quarantine/dismiss',
    tag: 'quarantine',
    summary: 'Dismiss records that will never pass: kept, with the time and a note, but out of the list and the counts',
    auth: 'operator',
    body: quarantineDismissBody,
    responses: { 200: { description: 'the records dismissed by this call', schema: quarantineDismiss } },
    handler: async ({ body, request }) => {
      const wanted = [...new Set(body.ids)];
      const dismissed = await deps.store.dismissQuarantine(
        wanted,
        Date.now(),
        body.note ?? 'dismissed through the API',
      );
      const done = new Set(dismissed);
      await deps.audit.record(request, {
        action: 'quarantine.dismiss',
        targetKind: 'quarantine',
        targetId: null,
        detail: { ids: dismissed, note: body.note ?? null },
      });
      return { dismissed, not_open: wanted.filter((id) => !done.has(id)).sort((a, b) => a - b) };
    },
  });
}

/** Whether a quarantined record's raw text is the event with this Currents id (a cheap test before parsing). */
function rawHasId(raw: string, id: string): boolean {
  if (!raw.includes(id)) return false;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null && (parsed as { id?: unknown }).id === id;
  } catch {
    return false;
  }
}
