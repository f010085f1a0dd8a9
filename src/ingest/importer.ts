import { validateEvent } from '../catalog/validate.js';
import type { NewEvent, NewQuarantine } from '../types.js';
import { validatorVersion } from './validator.js';
import { MissingTally, type MissingCount } from './missing.js';
import { flatten, toNewEvent } from './normalize.js';
import { knownTypeOf } from './push.js';
import { FileReadError, InputUnavailableError, type BadItem, type Batches, type ReadItem } from './source.js';

/**
 * One import: inputs (files, or objects of a bucket) read one after another, their events validated and handed to the
 * caller's sink in chunks, invalid ones to quarantine. An input that cannot be read to its end is reported with the
 * byte offset where reading stopped, and the import goes on with the next. The sink dedups by event id, so importing
 * the same input again stores nothing new.
 */

export interface ImportSink {
  (chunk: { events: NewEvent[]; quarantined: NewQuarantine[] }): Promise<{
    stored: number;
    duplicates: number;
    /** Which events of the chunk were duplicates; lets an import tell its own repeats from events stored before. */
    duplicateIndexes?: number[];
  }>;
}

export interface ImportFailure {
  path: string;
  offset: number;
  error: string;
}

export interface ImportSummary {
  /** Files found and read (including those that failed part way). */
  files: number;
  /** Items read: stored + duplicates + quarantined. */
  events: number;
  stored: number;
  /** Duplicates of events stored before this import began. */
  duplicates: number;
  /** Events whose id came earlier in this same import (the store kept the first). */
  repeated: number;
  quarantined: number;
  failures: ImportFailure[];
  /**
   * Events read and accepted without a field the catalog marks non-nullable for their type, by type and field
   * (duplicates included: the count is of what the files hold).
   */
  missing: MissingCount[];
}

export interface ImporterOptions {
  sink: ImportSink;
  partitions: number;
  /** The source the events are filed under (default: `default`). */
  source?: string;
  now?: () => number;
  chunkSize?: number;
}

/** What one input gave, once its events are committed (`readInput` with `commit`). */
export interface InputResult {
  /** Items read: valid and quarantined. */
  events: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  /** Why it could not be read to its end, or null. */
  failure: ImportFailure | null;
}

/** The sink refused a chunk: the import cannot go on, unlike a bad file. */
export class SinkFailure extends Error {
  override readonly name = 'SinkFailure';
}

export class Importer {
  readonly summary: ImportSummary = {
    files: 0,
    events: 0,
    stored: 0,
    duplicates: 0,
    repeated: 0,
    quarantined: 0,
    failures: [],
    missing: [],
  };
  /**
   * Fingerprints (31 bits) of the ids handed to the sink so far: a duplicate the store reports is counted as repeated
   * when its id came earlier in this import, else as stored before. A collision only changes which count a duplicate
   * goes to; what is stored is the store's decision alone. About 30 bytes per event, for one import's length.
   */
  private readonly seen = new Set<number>();
  readonly missing = new MissingTally();
  private events: NewEvent[] = [];
  private quarantined: NewQuarantine[] = [];
  private lastFile = '';
  private readonly chunkSize: number;
  private readonly now: () => number;

  constructor(private readonly opts: ImporterOptions) {
    this.chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? 1000));
    this.now = opts.now ?? Date.now;
  }

  /**
   * Read one input to its end (or to what stops it). `commit`: hand everything read to the sink before answering, so
   * the result counts what the store kept of this input (a bucket's poller records the object only then); otherwise
   * what is left waits for the next input's chunks (`finish` hands it over). `quarantineFailure`: an input that cannot
   * be read whole also leaves a quarantine record naming it and the byte offset. `onBytes` tells how far it has read.
   * A SinkFailure or an InputUnavailableError (a download cut) ends the call: the input was not read whole.
   */
  async readInput(
    name: string,
    batches: Batches,
    opts: { commit?: boolean; quarantineFailure?: boolean; eventType?: string | null; onBytes?: (n: number) => void },
  ): Promise<InputResult> {
    const before = { ...this.summary };
    let bytesRead = 0;
    let failure: ImportFailure | null = null;
    try {
      for await (const batch of batches) {
        this.take(name, batch);
        bytesRead = batch.bytesRead;
        await this.flush(false);
        opts.onBytes?.(bytesRead);
      }
    } catch (e) {
      if (e instanceof SinkFailure) throw e;
      if (e instanceof InputUnavailableError) {
        if (opts.commit) await this.flush(true);
        throw e;
      }
      const offset = e instanceof FileReadError ? e.offset : bytesRead;
      const detail = e instanceof Error ? e.message : String(e);
      failure = { path: name, offset, error: e instanceof FileReadError ? detail : `cannot read the file (${detail})` };
      this.summary.failures.push(failure);
      if (opts.quarantineFailure) this.quarantineUnreadable(failure, opts.eventType ?? null);
    }
    if (opts.commit) await this.flush(true);
    return {
      events: this.summary.events - before.events,
      stored: this.summary.stored - before.stored,
      duplicates: this.summary.duplicates - before.duplicates,
      quarantined: this.summary.quarantined - before.quarantined,
      failure,
    };
  }

  /** Hand over what is left and close the summary. */
  async finish(): Promise<ImportSummary> {
    await this.flush(true);
    this.summary.missing = this.missing.counts();
    return this.summary;
  }

  /** Validate one batch read from `path`; queue its events and quarantined items. */
  private take(path: string, batch: { items: ReadItem[]; bad: BadItem[] }): void {
    const receivedAt = this.now();
    const { items, bad } = batch;
    // Items and undecodable lines are merged back into file order, so quarantine reads like the file.
    let b = 0;
    for (const item of items) {
      while (b < bad.length && bad[b]!.index < item.index) this.quarantineBad(path, bad[b++]!, receivedAt);
      this.takeItem(path, item, receivedAt);
    }
    while (b < bad.length) this.quarantineBad(path, bad[b++]!, receivedAt);
    this.summary.events += items.length + bad.length;
    this.lastFile = path;
  }

  private takeItem(path: string, item: ReadItem, receivedAt: number): void {
    const value = item.value;
    let reason: string;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const checked = validateEvent(flatten(value as Record<string, unknown>));
      if (checked.ok) {
        if (checked.missing.length > 0) this.missing.add(checked.event.event_type, checked.missing);
        this.events.push(toNewEvent(checked.event, receivedAt, this.opts.partitions, this.opts.source));
        return;
      }
      reason = checked.reason;
    } else {
      reason = `item ${item.index} is not a JSON object (a Currents event)`;
    }
    this.quarantined.push({
      reason,
      source: this.fileSource(path, item.offset, item.index),
      raw: item.text ?? JSON.stringify(value) ?? String(value),
      eventType: knownTypeOf(value),
      receivedAt,
      validator: validatorVersion(),
    });
  }

  private quarantineBad(path: string, bad: BadItem, receivedAt: number): void {
    this.quarantined.push({
      reason: bad.reason,
      source: this.fileSource(path, bad.offset, bad.index),
      raw: bad.raw,
      eventType: null,
      receivedAt,
      validator: validatorVersion(),
    });
  }

  /** The part of an input that could not be read, as one record: nothing in it can be retried as an event. */
  private quarantineUnreadable(failure: ImportFailure, eventType: string | null): void {
    this.quarantined.push({
      reason:
        `${failure.path} cannot be read past byte ${failure.offset}: ${failure.error}; the events before it were ` +
        'kept. Replace the object (a changed object is read again) and delete this record',
      source: this.fileSource(failure.path, failure.offset, undefined),
      raw: `(the bytes of ${failure.path} from ${failure.offset} on could not be decoded)`,
      eventType,
      receivedAt: this.now(),
      validator: validatorVersion(),
    });
  }

  private fileSource(path: string, offset: number, index: number | undefined): NewQuarantine['source'] {
    const source = this.opts.source;
    return {
      kind: 'file',
      path,
      offset,
      ...(index !== undefined ? { index } : {}),
      ...(source !== undefined ? { sourceId: source } : {}),
    };
  }

  private get queued(): number {
    return this.events.length + this.quarantined.length;
  }

  /** Hand queued items to the sink, in chunks of at most chunkSize (all of them when `all`). */
  private async flush(all: boolean): Promise<void> {
    while (this.queued >= this.chunkSize || (all && this.queued > 0)) {
      const events = this.events.splice(0, this.chunkSize);
      const quarantined = this.quarantined.splice(0, this.chunkSize - events.length);
      let result: Awaited<ReturnType<ImportSink>>;
      try {
        result = await this.opts.sink({ events, quarantined });
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        throw new SinkFailure(
          `the store did not accept events read up to ${this.lastFile} (${detail}): fix the store and run the ` +
            'import again; events already stored are skipped',
          { cause: e },
        );
      }
      this.summary.stored += result.stored;
      const repeated = this.countRepeats(events, result.duplicateIndexes);
      this.summary.repeated += repeated;
      this.summary.duplicates += result.duplicates - repeated;
      this.summary.quarantined += quarantined.length;
    }
  }

  /** How many of the chunk's duplicates repeat an id met earlier in this import; remembers the chunk's ids. */
  private countRepeats(events: readonly NewEvent[], duplicateIndexes: readonly number[] | undefined): number {
    if (duplicateIndexes === undefined) return 0;
    const duplicates = new Set(duplicateIndexes);
    let repeated = 0;
    events.forEach((event, i) => {
      const fingerprint = fnv31(event.eventId);
      if (duplicates.has(i) && this.seen.has(fingerprint)) repeated++;
      this.seen.add(fingerprint);
    });
    return repeated;
  }
}

/** FNV-1a, kept to 31 bits so V8 stores it as a small integer. */
function fnv31(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h & 0x7fffffff;
}
