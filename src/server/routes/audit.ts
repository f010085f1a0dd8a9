import { z } from 'zod';
import type { Store } from '../../store/port.js';
import type { AuditEntry } from '../../types.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';

const query = z
  .object({
    export: z.string().min(1).optional().describe('only changes of this export'),
    source: z.string().min(1).optional().describe('only changes of this source'),
    token: z.string().min(1).optional().describe('only changes of this token (by id)'),
    since: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), 'give a date and time, e.g. 2026-11-01T00:00:00Z')
      .optional()
      .describe('only changes at or after this time (ISO 8601)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    before: z.coerce.number().int().positive().optional().describe('entries with an id below this (paging)'),
  })
  .strict();

/** An entry as the API shows it: a secret's change says "changed", never a value. */
export function auditJson(e: AuditEntry) {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    token: e.tokenName,
    action: e.action,
    target: { kind: e.targetKind, id: e.targetId },
    changes: e.changes.map((c) =>
      c.secret === true
        ? { field: c.field, secret: true, after: 'changed' }
        : { field: c.field, before: c.before, after: c.after },
    ),
    detail: e.detail,
  };
}

export function registerAuditRoute(api: Api, deps: { store: Store }): void {
  api.route({
    method: 'GET',
    url: '/v1/audit',
    tag: 'audit',
    summary: 'Who changed what and when, newest first: fields before and after (secrets only as "changed")',
    auth: 'viewer',
    query,
    responses: { 200: { description: 'a page of entries; next_before pages on' } },
    handler: async ({ query: q }) => {
      const targets = (['export', 'source', 'token'] as const).filter((k) => q[k] !== undefined);
      if (targets.length > 1) {
        throw new HttpError(400, 'invalid_request', 'give one of export=, source= or token=, not several');
      }
      const kind = targets[0];
      const entries = await deps.store.listAudit({
        ...(kind !== undefined ? { targetKind: kind, targetId: q[kind]! } : {}),
        ...(q.since !== undefined ? { since: Date.parse(q.since) } : {}),
        ...(q.before !== undefined ? { beforeId: q.before } : {}),
        limit: q.limit,
      });
      return {
        entries: entries.map(auditJson),
        next_before: entries.length === q.limit ? entries[entries.length - 1]!.id : null,
      };
    },
  });
}
