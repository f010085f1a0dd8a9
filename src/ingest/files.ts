import { validateEvent } from '../catalog/validate.js';
import type { NewEvent, NewQuarantine } from '../types.js';
import { readAvro } from './avro.js';
import { readJsonFile } from './jsonfile.js';
import { readNdjson } from './ndjson.js';
import { MissingTally, type MissingCount } from './missing.js';
import { flatten, toNewEvent } from './normalize.js';
import { knownTypeOf } from './push.js';
import { FileReadError, type BadItem, type FileReader, type ReadBatch, type ReadItem } from './source.js';
import { listInputs, typeFromPath, type InputFile } from './walk.js';

/**
 * Import Currents files (Avro storage dumps, NDJSON, JSON) into whatever the caller's sink keeps. Valid events and
 * quarantined items go to the sink in chunks; a file that cannot be read to its end is reported with the byte
 * offset where reading stopped, and the import goes on with the next file. The sink dedups by event id, so
 * importing the same files again stores nothing new.
 */

export interface ImportSink {
  (chunk: { events: NewEvent[]; quarantined: NewQuarantine[] }): Promise<{ stored: number; duplicates: number }>;
}

export interface ImportProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Items read so far (valid and quarantined). */
  events: number;
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
  duplicates: number;
  quarantined: number;
  failures: ImportFailure[];
  /**
   * Events read and accepted without a field the catalog marks non-nullable for their type, by type and field
   * (duplicates included: the count is of what the files hold).
   */
  missing: MissingCount[];
}

export interface ImportOptions {
  sink: ImportSink;
  partitions: number;
  /** The source the events are filed under (default: `default`). */
  source?: string;
  now?: () => number;
  chunkSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

/** The sink refused a chunk: the import cannot go on, unlike a bad file. */
class SinkFailure extends Error {
  override readonly name = 'SinkFailure';
}

function readerFor(file: InputFile): FileReader {
  switch (file.format) {
    case 'avro':
      return (path) => readAvro(path, typeFromPath(path));
    case 'ndjson':
      return readNdjson;
    case 'json':
      return readJsonFile;
  }
}

class Importer {
  readonly summary: ImportSummary = {
    files: 0,
    events: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    failures: [],
    missing: [],
  };
  readonly missing = new MissingTally();
  private events: NewEvent[] = [];
  private quarantined: NewQuarantine[] = [];
  private lastFile = '';

  constructor(
    private readonly opts: ImportOptions,
    private readonly chunkSize: number,
    private readonly now: () => number,
  ) {}

  /** Validate one batch read from `path`; queue its events and quarantined items. */
  take(path: string, batch: ReadBatch): void {
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
    });
  }

  private quarantineBad(path: string, bad: BadItem, receivedAt: number): void {
    this.quarantined.push({
      reason: bad.reason,
      source: this.fileSource(path, bad.offset, bad.index),
      raw: bad.raw,
      eventType: null,
      receivedAt,
    });
  }

  private fileSource(path: string, offset: number, index: number): NewQuarantine['source'] {
    const source = this.opts.source;
    return { kind: 'file', path, offset, index, ...(source !== undefined ? { sourceId: source } : {}) };
  }

  get queued(): number {
    return this.events.length + this.quarantined.length;
  }

  /** Hand queued items to the sink, in chunks of at most chunkSize (all of them when `all`). */
  async flush(all: boolean): Promise<void> {
    while (this.queued >= this.chunkSize || (all && this.queued > 0)) {
      const events = this.events.splice(0, this.chunkSize);
      const quarantined = this.quarantined.splice(0, this.chunkSize - events.length);
      let result: { stored: number; duplicates: number };
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
      this.summary.duplicates += result.duplicates;
      this.summary.quarantined += quarantined.length;
    }
  }
}

export async function importPaths(paths: string[], opts: ImportOptions): Promise<ImportSummary> {
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? 1000));
  const importer = new Importer(opts, chunkSize, opts.now ?? Date.now);
  const { summary } = importer;
  const { files, problems } = await listInputs(paths);
  for (const problem of problems) summary.failures.push({ path: problem.path, offset: 0, error: problem.error });
  summary.files = files.length;
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  let bytesBefore = 0;
  const report = (file: string, filesDone: number, bytesInFile: number): void => {
    opts.onProgress?.({
      file,
      filesDone,
      filesTotal: files.length,
      bytesDone: bytesBefore + bytesInFile,
      bytesTotal,
      events: summary.events,
    });
  };

  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let bytesInFile = 0;
    try {
      for await (const batch of readerFor(file)(file.path)) {
        importer.take(file.path, batch);
        bytesInFile = Math.min(batch.bytesRead, file.size);
        await importer.flush(false);
        report(file.path, i, bytesInFile);
      }
    } catch (e) {
      if (e instanceof SinkFailure) throw e;
      const offset = e instanceof FileReadError ? e.offset : bytesInFile;
      const detail = e instanceof Error ? e.message : String(e);
      const error = e instanceof FileReadError ? detail : `cannot read the file (${detail})`;
      summary.failures.push({ path: file.path, offset, error });
    }
    bytesBefore += file.size;
    report(file.path, i + 1, 0);
  }
  await importer.flush(true);
  summary.missing = importer.missing.counts();
  return summary;
}
