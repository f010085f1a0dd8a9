import { z } from 'zod';
import type { Store } from '../../store/port.js';
import type { QuarantineRecord } from '../../types.js';
import type { Api } from '../api.js';
import { retryQuarantine } from '../quarantine.js';
import type { AuditLog } from '../team/audit.js';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.coerce.number().int().min(0).default(0).describe('return records with an id above this (paging)'),
});

const retryBody = z.object({
  ids: z.array(z.number().int().positive()).min(1).optional().describe('records to retry; all when absent'),
});

const record = z.object({
  id: z.number().int(),
  reason: z.string(),
  source: z.record(z.string(), z.unknown()),
  event_type: z.string().nullable(),
  received_at: z.string(),
  raw: z.string(),
});

export function quarantineJson(r: QuarantineRecord): z.infer<typeof record> {
  return {
    id: r.id,
    reason: r.reason,
    source: r.source,
    event_type: r.eventType,
    received_at: new Date(r.receivedAt).toISOString(),
    raw: r.raw,
  };
}

export function registerQuarantineRoutes(api: Api, deps: { store: Store; partitions: number; audit: AuditLog }): void {
  api.route({
    method: 'GET',
    url: '/v1/quarantine',
    tag: 'quarantine',
    summary: 'List input refused at ingest, with reason, source and raw text',
    auth: 'viewer',
    query: listQuery,
    responses: {
      200: {
        description: 'a page of records',
        schema: z.object({
          total: z.number().int(),
          records: z.array(record),
          next_after: z.number().int().nullable(),
        }),
      },
    },
    handler: async ({ query }) => {
      const records = await deps.store.listQuarantine({ limit: query.limit, afterId: query.after });
      return {
        total: await deps.store.countQuarantine(),
        records: records.map(quarantineJson),
        next_after: records.length === query.limit ? records[records.length - 1]!.id : null,
      };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/quarantine/retry',
    tag: 'quarantine',
    summary: 'Validate quarantined records again and store those that now pass',
    auth: 'operator',
    body: retryBody,
    responses: {
      200: {
        description: 'what the retry did',
        schema: z.object({
          retried: z.number().int(),
          stored: z.number().int(),
          duplicates: z.number().int(),
          still_quarantined: z.array(z.object({ id: z.number().int(), reason: z.string() })),
        }),
      },
    },
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
}
