import type { CurrentsEvent } from '../types.js';
import { sourceRequestId } from './ids.js';
import { mapEvent } from './map.js';
import { schemaForIdentity, validateBatch, type SchemaName } from './schema.js';
import type { Envelope, MapSettings, MpBatch, MpEvent, OutBatch, RefusedBatch, SkipReason } from './types.js';

/** mParticle asks that one batch stay under 128 KB. */
export const MAX_BATCH_BYTES = 128 * 1024;
/** Events per merged batch: enough to save requests, few enough that one refused batch loses little. */
export const MAX_EVENTS_PER_BATCH = 100;
/** Data older than this belongs on the historical endpoint. */
export const HISTORICAL_AGE_MS = 30 * 24 * 3600 * 1000;

export interface BuildOptions {
  settings: MapSettings;
  /** Merge a user's events read together into one batch; off: one event per batch, as Braze does. */
  merge: boolean;
  feedId: string;
  generation: number;
  /** ms since the epoch: decides which batches are historical. */
  now: number;
  /** A batch's JSON stays under this many bytes (default 128 KB). */
  maxBatchBytes?: number;
  maxEventsPerBatch?: number;
}

export interface BuildResult {
  batches: OutBatch[];
  skipped: { seq: number; type: string; reason: SkipReason }[];
  /** Batches refused by the schema check, with ajv's error text: dead-letter them, never send them. */
  invalid: RefusedBatch[];
  /** Single events whose batch alone reaches the byte limit: they cannot be sent. */
  tooLarge: RefusedBatch[];
}

interface Item {
  seq: number;
  type: string;
  id: string;
  event: MpEvent;
  json: string;
  bytes: number;
  historical: boolean;
}

interface Group {
  envelope: Envelope;
  /** The envelope as JSON (mapEvent's envelopeKey). */
  envelopeJson: string;
  items: Item[];
}

/**
 * Log rows of one feed, in log order -> the batches to send. With `merge`, events of one envelope (one user on one
 * device) go into one batch in time order, split only by the count and byte limits; events older than 30 days are
 * kept apart from newer ones so that a batch is wholly historical or wholly live. Every batch is checked against
 * mParticle's schema before it is returned.
 */
export function buildBatches(rows: readonly { seq: number; event: CurrentsEvent }[], opts: BuildOptions): BuildResult {
  const result: BuildResult = { batches: [], skipped: [], invalid: [], tooLarge: [] };
  const groups = new Map<string, Group>();
  const singles: Group[] = [];
  const historicalBefore = opts.now - HISTORICAL_AGE_MS;

  for (const { seq, event } of rows) {
    const mapped = mapEvent(event, opts.settings);
    if (mapped.kind === 'skipped') {
      result.skipped.push({ seq, type: event.event_type, reason: mapped.reason });
      continue;
    }
    const json = JSON.stringify(mapped.event);
    const item: Item = {
      seq,
      type: event.event_type,
      id: event.id,
      event: mapped.event,
      json,
      bytes: Buffer.byteLength(json),
      historical: mapped.event.data.timestamp_unixtime_ms < historicalBefore,
    };
    if (!opts.merge) {
      singles.push({ envelope: mapped.envelope, envelopeJson: mapped.envelopeKey, items: [item] });
      continue;
    }
    const key = `${item.historical ? 'h' : 'l'}${mapped.envelopeKey}`;
    const group = groups.get(key);
    if (group === undefined)
      groups.set(key, { envelope: mapped.envelope, envelopeJson: mapped.envelopeKey, items: [item] });
    else group.items.push(item);
  }

  const packer = new BatchPacker(opts, result);
  for (const group of opts.merge ? groups.values() : singles) packer.pack(group);
  return result;
}

class BatchPacker {
  private readonly maxBytes: number;
  private readonly maxEvents: number;
  private readonly schema: SchemaName;

  constructor(
    private readonly opts: BuildOptions,
    private readonly result: BuildResult,
  ) {
    this.maxBytes = opts.maxBatchBytes ?? MAX_BATCH_BYTES;
    this.maxEvents = Math.max(1, opts.maxEventsPerBatch ?? MAX_EVENTS_PER_BATCH);
    this.schema = schemaForIdentity(opts.settings.identity);
  }

  pack(group: Group): void {
    // Array.prototype.sort is stable: events with the same timestamp keep log order.
    const items = [...group.items].sort(
      (a, b) => a.event.data.timestamp_unixtime_ms - b.event.data.timestamp_unixtime_ms,
    );
    const shell = shellOf(group.envelopeJson);
    const base = shell.bytes;
    let chunk: Item[] = [];
    let bytes = base;
    for (const item of items) {
      if (base + item.bytes >= this.maxBytes) {
        const batch = this.toBatch(group.envelope, shell, [item]);
        this.result.tooLarge.push({
          batch,
          reason: 'too_large',
          error: `the event makes a batch of ${batch.bytes} bytes, over mParticle's ${this.maxBytes}-byte limit; it cannot be sent`,
        });
        continue;
      }
      const grown = bytes + item.bytes + (chunk.length > 0 ? 1 : 0);
      if (chunk.length > 0 && (chunk.length >= this.maxEvents || grown >= this.maxBytes)) {
        this.emit(group.envelope, shell, chunk);
        chunk = [];
        bytes = base;
      }
      bytes += item.bytes + (chunk.length > 0 ? 1 : 0);
      chunk.push(item);
    }
    if (chunk.length > 0) this.emit(group.envelope, shell, chunk);
  }

  /** Check a batch; when a merged batch is refused, find its bad events so the rest still go. */
  private emit(envelope: Envelope, shell: Shell, items: Item[]): void {
    const batch = this.toBatch(envelope, shell, items);
    const error = validateBatch(batch.batch, this.schema);
    if (error === null) {
      this.result.batches.push(batch);
      return;
    }
    if (items.length === 1) {
      this.result.invalid.push({ batch, reason: 'invalid', error });
      return;
    }
    const good: Item[] = [];
    for (const item of items) {
      const single = this.toBatch(envelope, shell, [item]);
      const singleError = validateBatch(single.batch, this.schema);
      if (singleError === null) good.push(item);
      else this.result.invalid.push({ batch: single, reason: 'invalid', error: singleError });
    }
    if (good.length === items.length) {
      // Each event passes alone but not together: refuse them one by one rather than loop.
      for (const item of items)
        this.result.invalid.push({ batch: this.toBatch(envelope, shell, [item]), reason: 'invalid', error });
    } else if (good.length > 0) {
      this.emit(envelope, shell, good);
    }
  }

  private toBatch(envelope: Envelope, shell: Shell, items: readonly Item[]): OutBatch {
    const eventIds = items.map((i) => i.id);
    const id = sourceRequestId(this.opts.feedId, eventIds, this.opts.generation);
    // The group's shell, serialised once, starts with the placeholder id and ends with `"events":[]}`: put this
    // batch's id in and splice the events' JSON in rather than stringify anything again.
    const json = `${SHELL_PREFIX}${id}${shell.text.slice(SHELL_PREFIX.length + PLACEHOLDER_ID.length, -2)}${items.map((i) => i.json).join(',')}]}`;
    // The id is ASCII of the placeholder's length: the batch's size is the shell's plus its events' and commas.
    let bytes = shell.bytes + items.length - 1;
    for (const item of items) bytes += item.bytes;
    return {
      batch: { ...batchShell(id, envelope), events: items.map((i) => i.event) },
      json,
      bytes,
      eventIds,
      types: items.map((i) => i.type),
      seqs: items.map((i) => i.seq),
      historical: items.every((i) => i.historical),
    };
  }
}

/** The batch with no events; `events` must stay the last key (see toBatch). */
function batchShell(sourceRequestIdText: string, envelope: Envelope): MpBatch {
  return { source_request_id: sourceRequestIdText, ...envelope, events: [] };
}

/** Every source_request_id has this length, so a shell serialised with this id has the size of any batch's shell. */
const PLACEHOLDER_ID = '00000000-0000-8000-8000-000000000000';
const SHELL_PREFIX = '{"source_request_id":"';

/**
 * The batch of a group with no events, as JSON text with the placeholder id: what `JSON.stringify(batchShell(...))`
 * gives, made from the envelope's JSON (never empty: it always has `environment`) without serialising it again.
 */
function shellOf(envelopeJson: string): Shell {
  const text = `${SHELL_PREFIX}${PLACEHOLDER_ID}",${envelopeJson.slice(1, -1)},"events":[]}`;
  return { text, bytes: Buffer.byteLength(text) };
}

interface Shell {
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
}
