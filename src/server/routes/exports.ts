import { z } from 'zod';
import type { DeliveryEngine } from '../../delivery/engine.js';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import type { ExportRecord } from '../../types.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import { createExportBody, exportView, idParams, patchExportBody } from '../exports/schemas.js';
import { exportStatusView, listedExportView } from '../schemas/exports.js';
import { applyPatch, buildExport, changeExport, checkSources, exportJson } from '../exports/service.js';
import { exportStatus } from '../exports/status.js';
import { diff, EMPTY, type AuditLog } from '../team/audit.js';
import { exportSnapshot } from '../team/snapshots.js';

export interface ExportRouteDeps {
  store: Store;
  secrets: SecretBox;
  engine: DeliveryEngine;
  now: () => number;
  audit: AuditLog;
}

export async function loadExport(store: Store, id: string): Promise<ExportRecord> {
  const record = await store.getExport(id);
  if (record === null) throw new HttpError(404, 'not_found', `no export with id ${id}; GET /v1/exports lists them`);
  return record;
}

/** Exports CRUD, pause and resume, and status (admin token). */
export function registerExportRoutes(api: Api, deps: ExportRouteDeps): void {
  const { store } = deps;

  api.route({
    method: 'POST',
    url: '/v1/exports',
    tag: 'exports',
    summary: 'Create an export (a "Current") to mParticle',
    auth: 'admin',
    body: createExportBody,
    responses: {
      201: { description: 'created', schema: exportView },
      400: { description: 'invalid: `fields` names each field and what it needs' },
    },
    handler: async ({ body, reply, request }) => {
      const record = await buildExport(body, { store, secrets: deps.secrets, now: deps.now() });
      await store.createExport(record);
      await deps.audit.record(request, {
        action: 'export.create',
        targetKind: 'export',
        targetId: record.id,
        changes: diff(EMPTY, exportSnapshot(record)),
      });
      await deps.engine.refresh();
      return reply.code(201).send(exportJson(record));
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports',
    tag: 'exports',
    summary: 'List exports with the state of their feeds',
    auth: 'viewer',
    responses: { 200: { description: 'exports', schema: z.object({ exports: z.array(listedExportView) }) } },
    handler: async () => {
      const records = await store.listExports();
      const now = deps.now();
      const exports = await Promise.all(
        records.map(async (r) => {
          const status = await exportStatus(r, store, now);
          return {
            ...exportJson(r),
            feed_states: status.feeds.map((f) => ({
              id: f.id,
              state: f.state,
              backlog_events: f.backlog_events,
              last_delivery_at: f.last_delivery_at,
              drop_deadline: f.drop_deadline,
            })),
            events_per_second: status.events_per_second,
            backlog_events: status.feeds.reduce((n, f) => n + f.backlog_events, 0),
            last_delivery_at:
              status.feeds
                .map((f) => f.last_delivery_at)
                .filter((t): t is string => t !== null)
                .sort()
                .pop() ?? null,
            totals: status.totals,
          };
        }),
      );
      return { exports };
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id',
    tag: 'exports',
    summary: 'One export (secrets show only as set)',
    auth: 'viewer',
    params: idParams,
    responses: { 200: { description: 'the export', schema: exportView }, 404: { description: 'no such export' } },
    handler: async ({ params }) => exportJson(await loadExport(store, params.id)),
  });

  api.route({
    method: 'PATCH',
    url: '/v1/exports/:id',
    tag: 'exports',
    summary: 'Change events, credentials, contact or other settings',
    auth: 'admin',
    params: idParams,
    body: patchExportBody,
    responses: {
      200: { description: 'the changed export', schema: exportView },
      404: { description: 'no such export' },
    },
    handler: async ({ params, body, request }) => {
      const sources = await checkSources(store, body.sources ?? undefined);
      const patch = body.sources === undefined || body.sources === null ? body : { ...body, sources };
      let before: ExportRecord | null = null;
      const record = await changeExport(store, params.id, (current) => {
        before = current;
        return applyPatch(current, patch, deps.secrets, deps.now());
      });
      await deps.audit.record(request, {
        action: 'export.update',
        targetKind: 'export',
        targetId: record.id,
        changes: diff(exportSnapshot(before!), exportSnapshot(record)),
      });
      await deps.engine.refresh();
      return exportJson(record);
    },
  });

  for (const action of ['pause', 'resume'] as const) {
    api.route({
      method: 'POST',
      url: `/v1/exports/:id/${action}`,
      tag: 'exports',
      summary: action === 'pause' ? 'Pause: hold the cursor, send nothing' : 'Resume sending from the cursor',
      auth: 'operator',
      params: idParams,
      responses: { 200: { description: 'the export', schema: exportView } },
      handler: async ({ params, request }) => {
        let before: ExportRecord | null = null;
        const record = await changeExport(store, params.id, (current) => {
          before = current;
          return {
            ...current,
            state: action === 'pause' ? 'paused' : 'active',
            updatedAt: Math.max(deps.now(), current.updatedAt + 1),
          };
        });
        await deps.audit.record(request, {
          action: `export.${action}`,
          targetKind: 'export',
          targetId: record.id,
          changes: diff(exportSnapshot(before!), exportSnapshot(record)),
        });
        await deps.engine.refresh();
        return exportJson(record);
      },
    });
  }

  api.route({
    method: 'DELETE',
    url: '/v1/exports/:id',
    tag: 'exports',
    summary: 'Delete an export; its hold on the log is released',
    auth: 'admin',
    params: idParams,
    responses: { 204: { description: 'deleted' }, 404: { description: 'no such export' } },
    handler: async ({ params, reply, request }) => {
      const before = await loadExport(store, params.id);
      await store.deleteExport(params.id);
      await deps.audit.record(request, {
        action: 'export.delete',
        targetKind: 'export',
        targetId: before.id,
        changes: diff(exportSnapshot(before), EMPTY),
      });
      await deps.engine.refresh();
      return reply.code(204).send();
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/status',
    tag: 'exports',
    summary: 'Per feed: state, backlog, hold and drop deadline; per type: delivered, skipped, dead-lettered, dropped',
    auth: 'viewer',
    params: idParams,
    responses: { 200: { description: 'status', schema: exportStatusView } },
    handler: async ({ params }) => exportStatus(await loadExport(store, params.id), store, deps.now()),
  });
}
