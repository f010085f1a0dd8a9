import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
// avsc is CommonJS and Node cannot see its named exports from ESM: take the module object as the default import.
import avsc, { type Schema, type Type } from 'avsc';
import { typeFromAvroName, eventType } from '../catalog/catalog.js';
import { Bytes, readVarLong } from './bytes.js';
import { avroSnappyBlock } from './snappy.js';
import { FileReadError, type ReadBatch, type ReadItem } from './source.js';

/**
 * Avro object container files as Braze's storage Currents write them: header (magic, metadata with the schema and
 * codec, sync marker), then blocks of records. Read block by block so every failure has a byte offset, and records
 * decoded before a corruption are kept.
 */

const MAGIC = Buffer.from('Obj\x01', 'latin1');
const SYNC_SIZE = 16;
/** A block larger than this is taken as corruption rather than allocated (Braze writes at most 100,000 events). */
const MAX_BLOCK_BYTES = 1 << 30;
const SUPPORTED = 'null, deflate and snappy';

type Decompress = (data: Buffer, complete: boolean) => Buffer;

const CODECS: Record<string, Decompress> = {
  null: (data) => data,
  // A cut-short block is inflated as far as it goes, so its complete records can still be kept.
  deflate: (data, complete) =>
    complete ? inflateRawSync(data) : inflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH }),
  // Snappy output cannot be recovered from a partial block: a cut-short snappy block is lost whole.
  snappy: (data) => avroSnappyBlock(data),
};

async function readLong(bytes: Bytes, what: string): Promise<number> {
  const at = bytes.offset;
  const have = await bytes.ensure(10);
  const read = readVarLong(bytes.peek(), 0);
  if (read === null) {
    if (have < 10) throw new FileReadError(`the file ends inside the ${what} at byte ${at}: it was cut short`, at);
    throw new FileReadError(`the ${what} at byte ${at} is not a valid Avro number: the file is corrupt`, at);
  }
  bytes.skip(read.next);
  return read.value;
}

async function readExactly(bytes: Bytes, n: number, what: string): Promise<Buffer> {
  const at = bytes.offset;
  const data = await bytes.take(n);
  if (data.length < n) {
    throw new FileReadError(`the file ends inside the ${what} at byte ${at}: it was cut short`, at);
  }
  return data;
}

interface Header {
  codec: string;
  schema: string;
  sync: Buffer;
}

async function readHeader(bytes: Bytes): Promise<Header> {
  const magic = await bytes.take(4);
  if (magic.length < 4 || !magic.equals(MAGIC)) {
    throw new FileReadError('not an Avro object container file (it does not start with "Obj\\x01")', 0);
  }
  const meta = new Map<string, Buffer>();
  for (;;) {
    let count = await readLong(bytes, 'header');
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      await readLong(bytes, 'header');
    }
    for (let i = 0; i < count; i++) {
      const key = (await readExactly(bytes, await readLong(bytes, 'header'), 'header')).toString('utf8');
      const value = Buffer.from(await readExactly(bytes, await readLong(bytes, 'header'), 'header'));
      meta.set(key, value);
    }
  }
  const sync = Buffer.from(await readExactly(bytes, SYNC_SIZE, 'header'));
  const schema = meta.get('avro.schema');
  if (schema === undefined) throw new FileReadError('the Avro header has no embedded schema (avro.schema)', 0);
  return { codec: meta.get('avro.codec')?.toString('utf8') || 'null', schema: schema.toString('utf8'), sync };
}

function recordType(schemaText: string): Type {
  let type: Type;
  try {
    type = avsc.Type.forSchema(JSON.parse(schemaText) as Schema);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw new FileReadError(`the embedded Avro schema cannot be used (${detail})`, 0, { cause: e });
  }
  if (type.typeName !== 'record') {
    throw new FileReadError(`the file holds Avro ${type.typeName} values, not event records`, 0);
  }
  return type;
}

/** The event type of the file's records: the `event_type=` folder when it names a type, else the record name. */
function resolveType(pathType: string | null, recordName: string | undefined): string {
  if (pathType !== null && eventType(pathType) !== undefined) return pathType;
  const fromName = recordName === undefined ? undefined : typeFromAvroName(recordName);
  if (fromName !== undefined) return fromName;
  const names = [pathType && `folder event_type=${pathType}`, recordName && `record ${recordName}`].filter(Boolean);
  throw new FileReadError(
    `cannot tell which Currents event type this file holds (${names.join(', ') || 'no name'}): ` +
      'put it under an event_type=<type> folder, or update the service if the type is new',
    0,
  );
}

/** Decode up to `count` records; stops at the first that does not decode and says why. */
function decodeRecords(
  type: Type,
  data: Buffer,
  count: number,
  ctx: { eventType: string; offset: number; firstIndex: number },
): { items: ReadItem[]; end: number; error: string | null } {
  const items: ReadItem[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    let decoded: { value: unknown; offset: number };
    try {
      decoded = type.decode(data, pos);
    } catch (e) {
      return { items, end: pos, error: `record ${i} does not decode (${e instanceof Error ? e.message : String(e)})` };
    }
    if (decoded.offset < 0) return { items, end: pos, error: `record ${i} runs past the end of its block` };
    pos = decoded.offset;
    // A plain object, so the record class's methods never reach the payload.
    const value = { event_type: ctx.eventType, ...(decoded.value as Record<string, unknown>) };
    value.event_type = ctx.eventType;
    items.push({ value, offset: ctx.offset, index: ctx.firstIndex + i });
  }
  return { items, end: pos, error: null };
}

/** Read an Avro container file, one batch per block. `pathType` is the `event_type=` folder name, if any. */
export async function* readAvro(path: string, pathType: string | null): AsyncGenerator<ReadBatch, void, undefined> {
  yield* readAvroBytes(await Bytes.open(path), pathType);
}

/** Read an Avro container from any input (a file, a download), one batch per block; closes the input at the end. */
export async function* readAvroBytes(
  bytes: Bytes,
  pathType: string | null,
): AsyncGenerator<ReadBatch, void, undefined> {
  try {
    const header = await readHeader(bytes);
    const decompress = CODECS[header.codec];
    if (decompress === undefined) {
      throw new FileReadError(
        `the file uses the Avro codec "${header.codec}", which is not supported (supported: ${SUPPORTED}): ` +
          'write the files with one of these codecs',
        0,
      );
    }
    const type = recordType(header.schema);
    const ctx = { eventType: resolveType(pathType, type.name), offset: 0, firstIndex: 0 };
    for (;;) {
      const at = bytes.offset;
      if ((await bytes.ensure(1)) === 0) return;
      const count = await readLong(bytes, 'block header');
      const size = await readLong(bytes, 'block header');
      if (count < 0 || size < 0 || size > MAX_BLOCK_BYTES) {
        throw new FileReadError(`the block at byte ${at} has an impossible header: the file is corrupt`, at);
      }
      const data = await bytes.take(size);
      const complete = data.length === size;
      const sync = complete ? await bytes.take(SYNC_SIZE) : Buffer.alloc(0);
      let problem: string | null = null;
      if (!complete || sync.length < SYNC_SIZE) {
        problem = `the file ends inside the block at byte ${at} (cut short)`;
      } else if (!sync.equals(header.sync)) {
        throw new FileReadError(`the block at byte ${at} does not end with the file's sync marker: corrupt`, at);
      }
      let plain: Buffer;
      try {
        plain = decompress(data, complete);
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        throw new FileReadError(
          `the block at byte ${at} does not decompress with ${header.codec} (${detail})${problem ? `; ${problem}` : ''}`,
          at,
          { cause: e },
        );
      }
      ctx.offset = at;
      const decoded = decodeRecords(type, plain, count, ctx);
      ctx.firstIndex += decoded.items.length;
      if (decoded.items.length > 0) yield { items: decoded.items, bad: [], bytesRead: bytes.offset };
      if (problem === null && decoded.error === null && decoded.end !== plain.length) {
        problem = `the block at byte ${at} has ${plain.length - decoded.end} bytes after its ${count} records`;
      }
      if (problem === null && decoded.error !== null) problem = `in the block at byte ${at}, ${decoded.error}`;
      if (problem !== null) {
        const kept = decoded.items.length;
        throw new FileReadError(`${problem}; ${kept} of its ${count} records were kept`, at);
      }
    }
  } finally {
    await bytes.close();
  }
}
