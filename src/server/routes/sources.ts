import { z } from 'zod';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import type { Api } from '../api.js';
import {
  createSource,
  loadSource,
  newSourceToken,
  patchSource,
  removeSource,
  setSourceState,
} from '../sources/actions.js';
import type { SourceDirectory } from '../sources/directory.js';
import {
  createdSourceView,
  createSourceBody,
  patchSourceBody,
  sourceIdParams,
  sourceView,
} from '../sources/schemas.js';
import { sourceJson } from '../sources/service.js';
import { sourceFigures, sourceStatus } from '../sources/status.js';
import { diff, EMPTY, type AuditLog } from '../team/audit.js';
import { sourceSnapshot } from '../team/snapshots.js';
import { listedSourceView, sourceStatusView } from '../schemas/sources.js';

export interface SourceRouteDeps {
  store: Store;
  secrets: SecretBox;
  /** The ingest route's view of the sources: told of every change made here. */
  directory: SourceDirectory;
  now: () => number;
  audit: AuditLog;
  /** Told of every change made here (this process's storage pollers look at once rather than at their next refresh). */
  onChange?: () => void;
}

/** Sources CRUD, pause and resume, a new token, and status (admin token). */
export function registerSourceRoutes(api: Api, deps: SourceRouteDeps): void {
  const { store, directory } = deps;
  const changed = <T>(value: T): T => {
    directory.invalidate();
    deps.onChange?.();
    return value;
  };

  api.route({
    method: 'POST',
    url: '/v1/sources',
    tag: 'sources',
    summary: 'Create a source: a Braze workspace pushing over HTTP, or a bucket in S3, Azure Blob or GCS',
    auth: 'admin',
    body: createSourceBody,
    responses: {
      201: {
        description: 'created; an http source comes with its own ingest token, shown this once',
        schema: createdSourceView,
      },
      400: { description: 'invalid: `fields` names each field and what it needs' },
      409: { description: 'the id is taken (also by a deleted source: ids stay reserved)' },
    },
    handler: async ({ body, reply, request }) => {
      const { record, token } = await createSource(store, body, { secrets: deps.secrets, now: deps.now() });
      changed(null);
      await deps.audit.record(request, {
        action: 'source.create',
        targetKind: 'source',
        targetId: record.id,
        changes: diff(EMPTY, sourceSnapshot(record)),
      });
      return reply.code(201).send({ ...sourceJson(record), ...(token !== null ? { token } : {}) });
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/sources',
    tag: 'sources',
    summary: 'List sources with what each received and its lag',
    auth: 'viewer',
    responses: { 200: { description: 'sources', schema: z.object({ sources: z.array(listedSourceView) }) } },
    handler: async () => {
      const [records, totals] = await Promise.all([store.listSources(), store.sourceTotals()]);
      const now = deps.now();
      const sources = await Promise.all(
        records.map(async (r) => {
          const status = await store.getSourceStatus(r.id);
          return {
            ...sourceJson(r),
            ...sourceFigures(
              totals.find((t) => t.source === r.id),
              status,
              now,
            ),
            last_error: status?.lastError ?? null,
          };
        }),
      );
      return { sources };
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/sources/:id',
    tag: 'sources',
    summary: 'One source (secrets show only as set; its token never)',
    auth: 'viewer',
    params: sourceIdParams,
    responses: { 200: { description: 'the source', schema: sourceView }, 404: { description: 'no such source' } },
    handler: async ({ params }) => sourceJson(await loadSource(store, params.id)),
  });

  api.route({
    method: 'PATCH',
    url: '/v1/sources/:id',
    tag: 'sources',
    summary: 'Change the name or the settings of its kind (the kind and the id stay)',
    auth: 'admin',
    params: sourceIdParams,
    body: patchSourceBody,
    // Checked in the handler against the stored source's kind, which the body does not say.
    validateBody: false,
    responses: {
      200: { description: 'the changed source', schema: sourceView },
      400: { description: 'invalid for this kind of source: `fields` names each field and what it needs' },
      404: { description: 'no such source' },
    },
    handler: async ({ params, request }) => {
      const record = await loadSource(store, params.id);
      const now = deps.now();
      const after = await patchSource(store, record, request.body, { secrets: deps.secrets, now });
      changed(null);
      await deps.audit.record(request, {
        action: 'source.update',
        targetKind: 'source',
        targetId: record.id,
        changes: diff(sourceSnapshot(record), sourceSnapshot(after)),
      });
      return sourceJson(after);
    },
  });

  for (const action of ['pause', 'resume'] as const) {
    api.route({
      method: 'POST',
      url: `/v1/sources/:id/${action}`,
      tag: 'sources',
      summary:
        action === 'pause'
          ? 'Pause: pushes are answered 503 with Retry-After (Braze keeps and retries them); a bucket is not polled'
          : 'Resume taking its events',
      auth: 'operator',
      params: sourceIdParams,
      responses: { 200: { description: 'the source', schema: sourceView }, 404: { description: 'no such source' } },
      handler: async ({ params, request }) => {
        const record = await loadSource(store, params.id);
        const state = action === 'pause' ? 'paused' : 'active';
        const after = await setSourceState(store, record, state, deps.now());
        changed(null);
        await deps.audit.record(request, {
          action: `source.${action}`,
          targetKind: 'source',
          targetId: record.id,
          changes: diff(sourceSnapshot(record), sourceSnapshot(after)),
        });
        return sourceJson(after);
      },
    });
  }

  api.route({
    method: 'POST',
    url: '/v1/sources/:id/token',
    tag: 'sources',
    summary: 'Give an http source a new own token (shown this once); the old one stops working at once',
    auth: 'admin',
    params: sourceIdParams,
    responses: {
      200: { description: 'the new token', schema: z.object({ id: z.string(), token: z.string() }) },
      404: { description: 'no such source' },
      409: { description: 'the default source, or not an http source' },
    },
    handler: async ({ params, request }) => {
      const record = await loadSource(store, params.id);
      const { record: after, token } = await newSourceToken(store, record, deps.now());
      changed(null);
      await deps.audit.record(request, {
        action: 'source.token',
        targetKind: 'source',
        targetId: record.id,
        changes: diff(sourceSnapshot(record), sourceSnapshot(after)),
      });
      return { id: record.id, token };
    },
  });

  api.route({
    method: 'DELETE',
    url: '/v1/sources/:id',
    tag: 'sources',
    summary: 'Delete a source: it takes no more events; the log keeps those it sent, and its id stays reserved',
    auth: 'admin',
    params: sourceIdParams,
    responses: {
      204: { description: 'deleted' },
      404: { description: 'no such source' },
      409: { description: 'the default source, or an export names it in its sources' },
    },
    handler: async ({ params, reply, request }) => {
      const before = await loadSource(store, params.id);
      await removeSource(store, before, deps.now());
      changed(null);
      await deps.audit.record(request, {
        action: 'source.delete',
        targetKind: 'source',
        targetId: before.id,
        changes: diff(sourceSnapshot(before), EMPTY),
      });
      return reply.code(204).send();
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/sources/:id/status',
    tag: 'sources',
    summary: 'What it received and when, its lag, what its worker says, and the exports taking its events',
    auth: 'viewer',
    params: sourceIdParams,
    responses: { 200: { description: 'status', schema: sourceStatusView }, 404: { description: 'no such source' } },
    handler: async ({ params }) => sourceStatus(await loadSource(store, params.id), store, deps.now()),
  });
}
