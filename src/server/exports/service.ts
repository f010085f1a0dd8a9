import { randomBytes } from 'node:crypto';
import { PARTNER_PAGE_TYPES } from '../../catalog/catalog.js';
import { channelQualifiedNames } from '../../mparticle/index.js';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import { SLOTS, type ExportRecord, type Slot, type StoredCredentials } from '../../types.js';
import { HttpError } from '../errors.js';
import { summarise } from '../issues.js';
import type { CreateExportBody, PatchExportBody } from './schemas.js';
import { transformationWarnings } from './transformations.js';

/** Turning API bodies into stored exports and back. Secrets are encrypted here and never leave in a view. */

export function newExportId(): string {
  return `exp_${randomBytes(6).toString('hex')}`;
}

function namesFor(preset: 'braze' | 'channel_qualified', overrides: Record<string, string>): Record<string, string> {
  return preset === 'channel_qualified' ? { ...channelQualifiedNames(), ...overrides } : { ...overrides };
}

async function startSeqFor(store: Store, from: CreateExportBody['from']): Promise<number> {
  if (from === 'earliest') return 0;
  if (from === 'now') return store.headSeq();
  return store.seqBefore(Date.parse(from));
}

/**
 * The sources an export names, each checked to exist (a 400 naming the ones that do not), without repeats; undefined
 * (every source) when none is named.
 */
export async function checkSources(store: Store, ids: readonly string[] | undefined): Promise<string[] | undefined> {
  if (ids === undefined) return undefined;
  const known = new Set((await store.listSources()).map((s) => s.id));
  const fields: Record<string, string> = {};
  ids.forEach((id, i) => {
    if (!known.has(id)) fields[`sources.${i}`] = `there is no source ${id}: GET /v1/sources lists them`;
  });
  if (Object.keys(fields).length > 0) {
    throw new HttpError(400, 'invalid_request', summarise(fields, 'body'), { fields });
  }
  return [...new Set(ids)];
}

export async function buildExport(
  body: CreateExportBody,
  deps: { store: Store; secrets: SecretBox; now: number },
): Promise<ExportRecord> {
  const sources = await checkSources(deps.store, body.sources);
  const feeds: Partial<Record<Slot, StoredCredentials>> = {};
  for (const slot of SLOTS) {
    const c = body.feeds[slot];
    if (c) feeds[slot] = { key: c.key, secretEnc: deps.secrets.encrypt(c.secret) };
  }
  return {
    id: newExportId(),
    name: body.name,
    contactEmail: body.contact_email,
    destination: body.destination,
    environment: body.environment,
    feeds,
    events: [...new Set(body.events ?? PARTNER_PAGE_TYPES)],
    identity: body.identity,
    eventNames: namesFor(body.event_names_preset, body.event_names),
    mergeBatches: body.merge_batches,
    holdWindowHours: body.hold_window_hours,
    rateLimit: body.rate_limit,
    ...(sources !== undefined ? { sources } : {}),
    transformations: body.transformations.map((t) => ({ field: t.field, action: t.action })),
    state: 'active',
    startSeq: await startSeqFor(deps.store, body.from),
    startFrom: body.from,
    createdAt: deps.now,
    updatedAt: deps.now,
  };
}

/** The export with a PATCH applied; `body.sources` must have been through checkSources. */
export function applyPatch(record: ExportRecord, body: PatchExportBody, secrets: SecretBox, now: number): ExportRecord {
  const feeds: Partial<Record<Slot, StoredCredentials>> = { ...record.feeds };
  for (const slot of SLOTS) {
    const change = body.feeds?.[slot];
    if (change === undefined) continue;
    if (change === null) {
      delete feeds[slot];
      continue;
    }
    const current = feeds[slot];
    if (current === undefined && (change.key === undefined || change.secret === undefined)) {
      throw new HttpError(400, 'invalid_request', `feeds.${slot}: give both key and secret to add a feed`, {
        fields: { [`feeds.${slot}`]: 'give both key and secret to add a feed' },
      });
    }
    feeds[slot] = {
      key: change.key ?? current!.key,
      secretEnc: change.secret !== undefined ? secrets.encrypt(change.secret) : current!.secretEnc,
    };
  }
  if (Object.keys(feeds).length === 0) {
    throw new HttpError(400, 'invalid_request', 'feeds: an export needs at least one feed with a key and secret', {
      fields: { feeds: 'an export needs at least one feed with a key and secret' },
    });
  }
  let eventNames = record.eventNames;
  if (body.event_names_preset !== undefined) eventNames = namesFor(body.event_names_preset, body.event_names ?? {});
  else if (body.event_names !== undefined) eventNames = { ...body.event_names };
  const { sources: _previous, ...rest } = record;
  const sources = body.sources === undefined ? record.sources : body.sources === null ? undefined : [...body.sources];
  return {
    ...rest,
    ...(sources !== undefined ? { sources } : {}),
    name: body.name ?? record.name,
    contactEmail: body.contact_email ?? record.contactEmail,
    destination: body.destination ?? record.destination,
    environment: body.environment ?? record.environment,
    feeds,
    events: body.events ? [...new Set(body.events)] : record.events,
    identity: body.identity ?? record.identity,
    eventNames,
    mergeBatches: body.merge_batches ?? record.mergeBatches,
    holdWindowHours: body.hold_window_hours ?? record.holdWindowHours,
    rateLimit: body.rate_limit ?? record.rateLimit,
    transformations:
      body.transformations?.map((t) => ({ field: t.field, action: t.action })) ?? record.transformations ?? [],
    updatedAt: Math.max(now, record.updatedAt + 1),
  };
}

/**
 * Change an export from what is stored: read, change, write only if nobody changed it meanwhile, else again from the
 * new record. Two changes asked for at once (a PATCH and a resume) are both applied, one after the other; with
 * updatedAt bumped from the record each was made from, every stored change has an updatedAt of its own, so every
 * process notices each one.
 */
export async function changeExport(
  store: Store,
  id: string,
  change: (current: ExportRecord) => ExportRecord,
): Promise<ExportRecord> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await store.getExport(id);
    if (current === null) throw new HttpError(404, 'not_found', `no export with id ${id}; GET /v1/exports lists them`);
    const next = change(current);
    if (await store.swapExport(next, current.updatedAt)) return next;
  }
  throw new HttpError(
    409,
    'conflict',
    `the export ${id} is being changed by others all the time; read it again and send the change again`,
  );
}

/** The export as the API shows it: every setting, keys, and whether each secret is set; never a secret. */
export function exportJson(r: ExportRecord) {
  const feeds: Record<string, { key: string; secret_set: boolean }> = {};
  for (const slot of SLOTS) {
    const c = r.feeds[slot];
    if (c) feeds[slot] = { key: c.key, secret_set: c.secretEnc.length > 0 };
  }
  return {
    id: r.id,
    name: r.name,
    contact_email: r.contactEmail,
    destination: { ...r.destination } as Record<string, string>,
    environment: r.environment,
    feeds,
    events: r.events,
    identity: r.identity,
    event_names: r.eventNames,
    merge_batches: r.mergeBatches,
    hold_window_hours: r.holdWindowHours,
    rate_limit: r.rateLimit,
    sources: r.sources ?? null,
    transformations: r.transformations ?? [],
    warnings: transformationWarnings(r),
    state: r.state,
    start_seq: r.startSeq,
    from: r.startFrom ?? null,
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
  };
}
