import { readFile, stat } from 'node:fs/promises';
import { FileReadError, type ReadBatch } from './source.js';

/**
 * A `.json` file: an array of events, or a saved HTTP push body `{"events":[...]}`. It is parsed whole, so a file
 * that does not parse fails as a whole (NDJSON is the format for large or partly damaged exports).
 */

/** Larger documents do not fit a JavaScript string; NDJSON has no such limit. */
const MAX_JSON_BYTES = 256 << 20;
/** Items per batch handed to the importer, so a large document is still fed in chunks. */
const BATCH = 1000;

/** Where V8 says the parse failed, as a byte offset into the file, when its message tells. */
function errorOffset(message: string, text: string, size: number): number {
  const at = /at position (\d+)/.exec(message);
  if (at !== null) return Buffer.byteLength(text.slice(0, Number(at[1])), 'utf8');
  if (/end of JSON input/i.test(message)) return size;
  return 0;
}

export async function* readJsonFile(path: string): AsyncGenerator<ReadBatch, void, undefined> {
  const size = (await stat(path)).size;
  if (size > MAX_JSON_BYTES) {
    throw new FileReadError(
      `the file is ${size} bytes, too large for one JSON document (limit ${MAX_JSON_BYTES}): write it as NDJSON, one event per line`,
      0,
    );
  }
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new FileReadError(`the file is not valid JSON (${detail})`, errorOffset(detail, text, size), { cause: e });
  }
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null && Array.isArray((doc as { events?: unknown }).events)
      ? ((doc as { events: unknown[] }).events as unknown[])
      : null;
  if (list === null) {
    throw new FileReadError('expected a JSON array of events or an object {"events": [...]}', 0);
  }
  for (let from = 0; from < list.length; from += BATCH) {
    const items = list.slice(from, from + BATCH).map((value, i) => ({ value, offset: 0, index: from + i }));
    // The document is already read; report progress in proportion to the items handed over.
    const done = Math.min(from + BATCH, list.length);
    yield { items, bad: [], bytesRead: Math.floor((size * done) / list.length) };
  }
  if (list.length === 0) yield { items: [], bad: [], bytesRead: size };
}
