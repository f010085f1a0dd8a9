import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAvro, readAvroBytes } from '../../src/ingest/avro.js';
import { Bytes, streamSource } from '../../src/ingest/bytes.js';
import { FileReadError, InputUnavailableError, type ReadBatch } from '../../src/ingest/source.js';
import { avroRecordOf, avroSchemaOf } from '../catalog/samples.js';
import { tempDir, writeAvro } from './fixtures.js';

/**
 * Objects of a bucket are read as they download, in whatever chunks arrive: the Avro reader gives the same records
 * and the same byte offsets as from a file, and a download cut short is told apart from a corrupt object.
 */

const TYPE = 'users.messages.email.Send';
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

async function* chunked(bytes: Buffer, size: number, cutAt = bytes.length): AsyncGenerator<Buffer> {
  for (let i = 0; i < cutAt; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, Math.min(i + size, cutAt));
  }
}

async function collect(batches: AsyncGenerator<ReadBatch>): Promise<{ ids: string[]; error: unknown }> {
  const ids: string[] = [];
  try {
    for await (const b of batches) ids.push(...b.items.map((i) => (i.value as { id: string }).id));
  } catch (e) {
    return { ids, error: e };
  }
  return { ids, error: null };
}

async function file(records = 200): Promise<{ path: string; bytes: Buffer }> {
  const path = join(dir, 'a.avro');
  const recs = Array.from({ length: records }, (_, i) => avroRecordOf(TYPE, { id: `e-${i}`, optional: true }));
  await writeAvro(path, avroSchemaOf(TYPE), recs, { codec: 'deflate', blockSize: 1024 });
  return { path, bytes: await readFile(path) };
}

describe('reading an Avro object as it downloads', () => {
  it('gives the same records, in order, whatever the size of the chunks', async () => {
    const { path, bytes } = await file();
    const fromFile = await collect(readAvro(path, TYPE));
    expect(fromFile.ids).toHaveLength(200);
    for (const size of [1, 7, 4096, bytes.length]) {
      const fromStream = await collect(
        readAvroBytes(new Bytes(streamSource(chunked(bytes, size), bytes.length, 'a')), TYPE),
      );
      expect(fromStream).toEqual(fromFile);
    }
  });

  it('says a cut download is unavailable (read it again later), keeping the records before the cut', async () => {
    const { bytes } = await file();
    const cut = Math.floor(bytes.length * 0.6);
    const read = await collect(
      readAvroBytes(new Bytes(streamSource(chunked(bytes, 500, cut), bytes.length, 'bucket/a.avro')), TYPE),
    );
    expect(read.error).toBeInstanceOf(InputUnavailableError);
    expect((read.error as Error).message).toBe(
      `the download of bucket/a.avro ended at byte ${cut} of ${bytes.length}: the connection was cut`,
    );
    expect(read.ids.length).toBeGreaterThan(0);
    expect(read.ids.length).toBeLessThan(200);
  });

  it('says a failing download is unavailable, naming the byte it reached', async () => {
    const { bytes } = await file();
    async function* failing(): AsyncGenerator<Buffer> {
      yield bytes.subarray(0, 300);
      throw new Error('socket hang up');
    }
    const read = await collect(readAvroBytes(new Bytes(streamSource(failing(), bytes.length, 'k')), TYPE));
    expect(read.error).toBeInstanceOf(InputUnavailableError);
    expect((read.error as Error).message).toBe('the download of k failed at byte 300 (socket hang up)');
  });

  it('reports a corrupt object at the same byte offset as the same bytes in a file', async () => {
    const { path, bytes } = await file();
    const broken = Buffer.from(bytes);
    broken.fill(0xff, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 64);
    await writeFile(path, broken);
    const fromFile = await collect(readAvro(path, TYPE));
    const fromStream = await collect(
      readAvroBytes(new Bytes(streamSource(chunked(broken, 333), broken.length, 'a')), TYPE),
    );
    expect(fromFile.error).toBeInstanceOf(FileReadError);
    expect(fromStream.error).toBeInstanceOf(FileReadError);
    expect((fromStream.error as FileReadError).offset).toBe((fromFile.error as FileReadError).offset);
    expect((fromStream.error as Error).message).toBe((fromFile.error as Error).message);
    expect(fromStream.ids).toEqual(fromFile.ids);
  });
});
