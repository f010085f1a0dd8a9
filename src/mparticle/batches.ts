import type { CurrentsEvent } from '../types.js';
import { sourceRequestId } from './ids.js';
import type { MapSettings, MpBatch, MpEvent, OutBatch, RefusedBatch, SkipReason } from './types.js';
import { writeEvent } from './write.js';

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
  /** Single events refused by the run-time check of their values (`valueError`): dead-letter them, never send them. */
  invalid: RefusedBatch[];
  /** Single events whose batch alone reaches the byte limit: they cannot be sent. */
  tooLarge: RefusedBatch[];
}

interface Item {
  seq: number;
  type: string;
  id: string;
  /** The mapped event's timestamp: the event itself is kept only as `json`. */
  timestamp: number;
  json: string;
  bytes: number;
  historical: boolean;
  /** Why mParticle would refuse the event (`valueError`), or null. */
  error: string | null;
}

interface Group {
  /** The envelope's user_identities as JSON (OutBatch.user). */
  user: string;
  /** The envelope as JSON (mapEvent's envelopeKey). */
  envelopeJson: string;
  items: Item[];
}

/**
 * Log rows of one feed, in log order -> the batches to send. With `merge`, events of one envelope (one user on one
 * device) go into one batch in time order, split only by the count and byte limits; events older than 30 days are
 * kept apart from newer ones so that a batch is wholly historical or wholly live.
 *
 * Batches are valid against mParticle's schema by construction: the mapping is pure and writes only what the schema
 * allows, which test/mparticle/valid-batches.test.ts proves over the whole catalog with arbitrary field values (the
 * whole schema is no longer run on each batch: it was a sixth of delivery's CPU). The values whose format the schema
 * constrains are checked here as they are written: UUID-typed ids by the mapping (`isUuid`, left out when not
 * UUIDs), enumerations by construction (tables and settings), and the timestamp by `valueError`; an event that fails
 * is refused alone and its companions still go.
 */
export function buildBatches(rows: readonly { seq: number; event: CurrentsEvent }[], opts: BuildOptions): BuildResult {
  const result: BuildResult = { batches: [], skipped: [], invalid: [], tooLarge: [] };
  const groups = new Map<string, Group>();
  const singles: Group[] = [];
  const historicalBefore = opts.now - HISTORICAL_AGE_MS;

  for (const { seq, event } of rows) {
    const written = writeEvent(event, opts.settings);
    if (written.kind === 'skipped') {
      result.skipped.push({ seq, type: event.event_type, reason: written.reason });
      continue;
    }
    const { json, timestamp } = written;
    const item: Item = {
      seq,
      type: event.event_type,
      id: event.id,
      timestamp,
      json,
      bytes: Buffer.byteLength(json),
      historical: timestamp < historicalBefore,
      error: timestampError(timestamp),
    };
    if (!opts.merge) {
      singles.push({ user: written.user, envelopeJson: written.envelopeKey, items: [item] });
      continue;
    }
    // The envelope's JSON (it starts with "{") keys the live events' group as it is, with no copy made per event.
    const key = item.historical ? `h${written.envelopeKey}` : written.envelopeKey;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { user: written.user, envelopeJson: written.envelopeKey, items: [item] });
    else group.items.push(item);
  }

  const packer = new BatchPacker(opts, result);
  for (const group of opts.merge ? groups.values() : singles) packer.pack(group);
  return result;
}

class BatchPacker {
  private readonly maxBytes: number;
  private readonly maxEvents: number;

  constructor(
    private readonly opts: BuildOptions,
    private readonly result: BuildResult,
  ) {
    this.maxBytes = opts.maxBatchBytes ?? MAX_BATCH_BYTES;
    this.maxEvents = Math.max(1, opts.maxEventsPerBatch ?? MAX_EVENTS_PER_BATCH);
  }

  pack(group: Group): void {
    // Array.prototype.sort is stable: events with the same timestamp keep log order.
    const items = [...group.items].sort((a, b) => a.timestamp - b.timestamp);
    const shell = shellOf(group.envelopeJson);
    const base = shell.bytes;
    let chunk: Item[] = [];
    let bytes = base;
    for (const item of items) {
      if (item.error !== null) {
        this.result.invalid.push({
          batch: this.toBatch(group.user, shell, [item]),
          reason: 'invalid',
          error: item.error,
        });
        continue;
      }
      if (base + item.bytes >= this.maxBytes) {
        const batch = this.toBatch(group.user, shell, [item]);
        this.result.tooLarge.push({
          batch,
          reason: 'too_large',
          error: `the event makes a batch of ${batch.bytes} bytes, over mParticle's ${this.maxBytes}-byte limit; it cannot be sent`,
        });
        continue;
      }
      const grown = bytes + item.bytes + (chunk.length > 0 ? 1 : 0);
      if (chunk.length > 0 && (chunk.length >= this.maxEvents || grown >= this.maxBytes)) {
        this.emit(group.user, shell, chunk);
        chunk = [];
        bytes = base;
      }
      bytes += item.bytes + (chunk.length > 0 ? 1 : 0);
      chunk.push(item);
    }
    if (chunk.length > 0) this.emit(group.user, shell, chunk);
  }

  private emit(user: string, shell: Shell, items: Item[]): void {
    this.result.batches.push(this.toBatch(user, shell, items));
  }

  private toBatch(user: string, shell: Shell, items: readonly Item[]): OutBatch {
    const eventIds = items.map((i) => i.id);
    const id = sourceRequestId(this.opts.feedId, eventIds, this.opts.generation);
    // The id, the group's envelope (its JSON, made once) and the events' JSON: nothing is stringified again.
    const json = `${SHELL_PREFIX}${id}${shell.middle}${items.map((i) => i.json).join(',')}]}`;
    // The id is ASCII of the placeholder's length: the batch's size is the shell's plus its events' and commas.
    let bytes = shell.bytes + items.length - 1;
    for (const item of items) bytes += item.bytes;
    return new Batch(
      id,
      user,
      json,
      bytes,
      eventIds,
      items.map((i) => i.type),
      items.map((i) => i.seq),
      items.every((i) => i.historical),
    );
  }
}

/**
 * The run-time check of what the mapping cannot make valid by construction: mParticle's schema wants the timestamp
 * as an integer, and a stored `time` that is not a finite number (or rounds to none) would give NaN or Infinity,
 * which JSON writes as null. Text in ajv's style, as the whole schema check gave.
 */
export function valueError(event: MpEvent): string | null {
  return timestampError(event.data.timestamp_unixtime_ms);
}

function timestampError(t: number): string | null {
  if (Number.isInteger(t)) return null;
  return `/events/0/data/timestamp_unixtime_ms must be integer (got ${String(t)}): the event's "time" is not a number of seconds`;
}

class Batch implements OutBatch {
  /** The batch's text until packRequests writes it into a request's body; then read from there. */
  #json: string | null;
  #body: Buffer | null = null;
  #start = 0;
  #end = 0;

  constructor(
    readonly id: string,
    readonly user: string,
    json: string,
    readonly bytes: number,
    readonly eventIds: string[],
    readonly types: string[],
    readonly seqs: number[],
    readonly historical: boolean,
  ) {
    this.#json = json;
  }

  get json(): string {
    return this.#json ?? this.#body!.toString('utf8', this.#start, this.#end);
  }

  get batch(): MpBatch {
    return JSON.parse(this.json) as MpBatch;
  }

  placeIn(body: Buffer, start: number, end: number): void {
    this.#json = null;
    this.#body = body;
    this.#start = start;
    this.#end = end;
  }
}

/**
 * packRequests wrote the batch's text into `body` at [start, end): a batch built here reads it from there from now
 * on (only a split or a dead letter reads it again) and lets its string go. Other batches are left as they are.
 */
export function placeIn(batch: OutBatch, body: Buffer, start: number, end: number): void {
  if (batch instanceof Batch) batch.placeIn(body, start, end);
}

/** Every source_request_id has this length, so a shell serialised with this id has the size of any batch's shell. */
const PLACEHOLDER_ID = '00000000-0000-8000-8000-000000000000';
const SHELL_PREFIX = '{"source_request_id":"';

/**
 * The batch of a group with no events, as what `JSON.stringify({ source_request_id, ...envelope, events: [] })` would
 * give around the envelope's JSON (never empty: it always has `environment`): the text between the id and the events
 * (`",` + the envelope's members + `,"events":[`), and the whole shell's UTF-8 length with an id of the fixed length.
 */
function shellOf(envelopeJson: string): Shell {
  return { middle: `",${envelopeJson.slice(1, -1)},"events":[`, bytes: SHELL_BYTES + Buffer.byteLength(envelopeJson) };
}

/** `{"source_request_id":"` + the id + `",` + `,"events":[]}`, less the envelope's braces. */
const SHELL_BYTES = SHELL_PREFIX.length + PLACEHOLDER_ID.length + 2 + 13 - 2;

interface Shell {
  /** The shell's text between the id and the events. */
  middle: string;
  /** UTF-8 length of the shell (with an id, no events). */
  bytes: number;
}
