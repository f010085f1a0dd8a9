import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import avsc, { type Schema } from 'avsc';
import type { ImportSink } from '../../src/ingest/files.js';
import type { NewEvent, NewQuarantine } from '../../src/types.js';

/** Helpers for file import tests: temporary folders, Avro files written with avsc, a Map-backed sink. */

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'currents-ingest-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface AvroWriteOptions {
  codec?: string;
  codecs?: Record<string, (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void>;
  /** Bytes per block before avsc starts a new one (small values make many blocks). */
  blockSize?: number;
}

export async function writeAvro(
  path: string,
  schema: object,
  records: readonly object[],
  opts: AvroWriteOptions = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const encoder = new avsc.streams.BlockEncoder(schema as Schema, {
    codec: opts.codec ?? 'null',
    ...(opts.codecs ? { codecs: opts.codecs } : {}),
    ...(opts.blockSize ? { blockSize: opts.blockSize } : {}),
  });
  await pipeline(Readable.from(records), encoder, createWriteStream(path));
}

/** Braze's storage layout for one file. */
export function storagePath(root: string, type: string, name: string): string {
  return join(
    root,
    'currents',
    'dataexport.prod-03.S3.integration.5f1a2b3c4d',
    `event_type=${type}`,
    'date=2026-01-15-10',
    '321',
    'us-east-1',
    `${name}+0+0000000000.avro`,
  );
}

export interface MapSink {
  sink: ImportSink;
  log: Map<string, NewEvent>;
  quarantine: NewQuarantine[];
  /** Items handed over per call. */
  calls: number[];
}

/** A sink that keeps events in a Map by event id, as the store dedups them. */
export function mapSink(): MapSink {
  const log = new Map<string, NewEvent>();
  const quarantine: NewQuarantine[] = [];
  const calls: number[] = [];
  const sink: ImportSink = ({ events, quarantined }) => {
    calls.push(events.length + quarantined.length);
    let stored = 0;
    let duplicates = 0;
    const duplicateIndexes: number[] = [];
    for (const [i, event] of events.entries()) {
      if (log.has(event.eventId)) {
        duplicates++;
        duplicateIndexes.push(i);
      } else {
        log.set(event.eventId, event);
        stored++;
      }
    }
    quarantine.push(...quarantined);
    return Promise.resolve({ stored, duplicates, duplicateIndexes });
  };
  return { sink, log, quarantine, calls };
}

/**
 * A small snappy compressor (greedy, 4-byte matches, literals and 2-byte-offset copies), written for the tests so
 * the importer's decoder reads data it did not produce itself. Avro appends the big-endian CRC-32.
 */
export function snappyCompress(input: Buffer): Buffer {
  const out: number[] = [];
  let n = input.length;
  do {
    out.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  const emitLiteral = (from: number, to: number): void => {
    for (let start = from; start < to; start += 60) {
      const len = Math.min(60, to - start);
      out.push((len - 1) << 2);
      for (let i = start; i < start + len; i++) out.push(input[i]!);
    }
  };
  const table = new Map<number, number>();
  let literalStart = 0;
  let i = 0;
  while (i + 4 <= input.length) {
    const key = input.readUInt32LE(i);
    const candidate = table.get(key);
    table.set(key, i);
    if (candidate !== undefined && i - candidate < 65536) {
      let len = 4;
      while (i + len < input.length && len < 64 && input[candidate + len] === input[i + len]) len++;
      emitLiteral(literalStart, i);
      const offset = i - candidate;
      out.push(((len - 1) << 2) | 2, offset & 0xff, offset >> 8);
      i += len;
      literalStart = i;
    } else {
      i++;
    }
  }
  emitLiteral(literalStart, input.length);
  const body = Buffer.from(out);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(input) >>> 0);
  return Buffer.concat([body, crc]);
}

export const snappyCodec = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void): void =>
  cb(null, snappyCompress(buf));
