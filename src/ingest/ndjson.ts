import { createReadStream } from 'node:fs';
import { FileReadError, type BadItem, type ReadBatch, type ReadItem } from './source.js';

/**
 * NDJSON / JSON Lines: one event per line, in the HTTP (nested) or storage (flat) form. A line that is not JSON is
 * quarantined with its byte offset; it does not stop the file.
 */

/** A line longer than this is not an event (Currents drops payloads over 900 KB): the file is taken as corrupt. */
const MAX_LINE_BYTES = 64 << 20;
const NEWLINE = 0x0a;

function parseLine(line: Buffer, offset: number, index: number, items: ReadItem[], bad: BadItem[]): void {
  let text = line.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.trim() === '') return;
  try {
    items.push({ value: JSON.parse(text) as unknown, offset, index, text });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    bad.push({
      reason: `line ${index + 1} is not valid JSON (${detail}): fix the line and retry it`,
      raw: text,
      offset,
      index,
    });
  }
}

export async function* readNdjson(path: string): AsyncGenerator<ReadBatch, void, undefined> {
  yield* readNdjsonChunks(createReadStream(path, { highWaterMark: 1 << 20 }));
}

/** NDJSON from any chunks (a file, a download). */
export async function* readNdjsonChunks(
  chunks: AsyncIterable<Buffer | Uint8Array>,
): AsyncGenerator<ReadBatch, void, undefined> {
  let pending: Buffer = Buffer.alloc(0);
  /** File offset of pending[0]. */
  let pendingAt = 0;
  let line = 0;
  let bytesRead = 0;
  for await (const chunk of chunks) {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    bytesRead += data.length;
    const buf = pending.length === 0 ? data : Buffer.concat([pending, data]);
    const items: ReadItem[] = [];
    const bad: BadItem[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      parseLine(buf.subarray(start, nl), pendingAt + start, line++, items, bad);
      start = nl + 1;
    }
    pending = buf.subarray(start);
    pendingAt += start;
    if (pending.length > MAX_LINE_BYTES) {
      throw new FileReadError(
        `line ${line + 1} at byte ${pendingAt} is longer than ${MAX_LINE_BYTES} bytes: this is not an NDJSON file of events`,
        pendingAt,
      );
    }
    if (items.length > 0 || bad.length > 0) yield { items, bad, bytesRead: pendingAt };
  }
  // The last line may lack its newline.
  const items: ReadItem[] = [];
  const bad: BadItem[] = [];
  if (pending.length > 0) parseLine(pending, pendingAt, line, items, bad);
  yield { items, bad, bytesRead };
}
