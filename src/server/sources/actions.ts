import type { SecretBox } from '../../secrets.js';
import { ConflictError } from '../../store/errors.js';
import type { Store } from '../../store/port.js';
import { DEFAULT_SOURCE, type SourceRecord, type SourceState } from '../../types.js';
import { parse } from '../api.js';
import { HttpError } from '../errors.js';
import { patchSourceBodies, type CreateSourceBody } from './schemas.js';
import { applySourcePatch, buildSource, rotateToken } from './service.js';
import { takes } from './status.js';

/** What the API and the CLI do to sources, the same way: every rule (and every message) lives here once. */

export async function loadSource(store: Store, id: string, list = 'GET /v1/sources'): Promise<SourceRecord> {
  const record = await store.getSource(id);
  if (record === null) throw new HttpError(404, 'not_found', `no source with id ${id}; ${list} lists them`);
  return record;
}

export async function createSource(
  store: Store,
  body: CreateSourceBody,
  deps: { secrets: SecretBox; now: number },
): Promise<{ record: SourceRecord; token: string | null }> {
  const { source, token } = buildSource(body, deps);
  try {
    return { record: await store.createSource(source), token };
  } catch (e) {
    if (e instanceof ConflictError) throw new HttpError(409, 'id_taken', e.message, { fields: { id: e.message } });
    throw e;
  }
}

/** Apply a PATCH body, checked against the settings of the source's own kind. */
export async function patchSource(
  store: Store,
  record: SourceRecord,
  body: unknown,
  deps: { secrets: SecretBox; now: number; where?: string },
): Promise<SourceRecord> {
  const kind = record.config.kind;
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if ('kind' in b && b.kind !== kind) {
    const message = `a source keeps its kind (${kind}): create another source for ${String(b.kind)}`;
    throw new HttpError(400, 'invalid_request', `kind: ${message}`, { fields: { kind: message } });
  }
  const { kind: _kind, id: _id, ...rest } = b;
  if (_id !== undefined && _id !== record.id) {
    const message = 'a source keeps its id: create another source to use another id';
    throw new HttpError(400, 'invalid_request', `id: ${message}`, { fields: { id: message } });
  }
  const patch = parse(patchSourceBodies[kind], rest, deps.where ?? 'body');
  const changed = applySourcePatch(record, patch, deps.secrets, deps.now);
  await store.updateSource(changed);
  return changed;
}

export async function setSourceState(store: Store, record: SourceRecord, state: SourceState, now: number) {
  const changed: SourceRecord = { ...record, state, updatedAt: Math.max(now, record.updatedAt + 1) };
  await store.updateSource(changed);
  return changed;
}

export async function newSourceToken(store: Store, record: SourceRecord, now: number) {
  const { record: changed, token } = rotateToken(record, now);
  await store.updateSource(changed);
  return { record: changed, token };
}

/** Delete a source, unless it is the built-in one or an export names it in its "sources". */
export async function removeSource(store: Store, record: SourceRecord, now: number): Promise<void> {
  if (record.id === DEFAULT_SOURCE) {
    throw new HttpError(
      409,
      'default_source',
      "the default source (the service's ingest token) cannot be deleted; pause it to refuse pushes with that token",
    );
  }
  const naming = (await store.listExports()).filter((e) => e.sources !== undefined && takes(e, record.id));
  if (naming.length > 0) {
    const names = naming.map((e) => `${e.name} (${e.id})`).join(', ');
    throw new HttpError(
      409,
      'source_in_use',
      `exports take events from source ${record.id} by name: ${names}; remove it from their "sources" first`,
    );
  }
  await store.deleteSource(record.id, now);
}
