/**
 * What a file reader hands to the importer: decoded items with where they came from, items that could not be
 * decoded (quarantined, not fatal), and how far into the file it has read. A reader throws `FileReadError` when the
 * rest of the file cannot be read; everything it yielded before stays imported.
 */

export interface ReadItem {
  /** A decoded event: a parsed JSON value (nested or flat form) or a flat Avro record with its `event_type`. */
  value: unknown;
  /** Byte offset of the line (NDJSON) or block (Avro) it came from; 0 for a JSON document. */
  offset: number;
  /** Position of the item in the file (0-based line, record or array index). */
  index: number;
  /** The input text when the reader has it (an NDJSON line); otherwise the item is written as JSON. */
  text?: string;
}

export interface BadItem {
  reason: string;
  raw: string;
  offset: number;
  index: number;
}

export interface ReadBatch {
  items: ReadItem[];
  bad: BadItem[];
  /** Bytes of the file consumed so far. */
  bytesRead: number;
}

/** The file cannot be read past `offset` (corrupt, truncated, unsupported). */
export class FileReadError extends Error {
  override readonly name = 'FileReadError';
  readonly offset: number;

  constructor(message: string, offset: number, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.offset = offset;
  }
}

/**
 * The input could not be read for a reason outside it (a download cut, a network failure): unlike FileReadError, its
 * content is not at fault, and reading it again later may work.
 */
export class InputUnavailableError extends Error {
  override readonly name = 'InputUnavailableError';
}

export type FileFormat = 'avro' | 'ndjson' | 'json';

export type FileReader = (path: string) => AsyncGenerator<ReadBatch, void, undefined>;

/** Batches read from one input (a file, or an object of a bucket). */
export type Batches = AsyncGenerator<ReadBatch, void, undefined>;
