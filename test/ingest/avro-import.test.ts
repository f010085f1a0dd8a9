import { readFile, truncate, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPaths } from '../../src/ingest/files.js';
import { partitionOf } from '../../src/ingest/normalize.js';
import { avroRecordOf, avroSchemaOf } from '../catalog/samples.js';
import { mapSink, snappyCodec, storagePath, tempDir, writeAvro } from './fixtures.js';

const TYPES = ['users.messages.email.Send', 'users.messages.pushnotification.Open', 'users.behaviors.CustomEvent'];
const NOW = 1_800_000_000_000;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

function records(type: string, n: number, prefix: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => avroRecordOf(type, { id: `${prefix}-${i}`, optional: i % 2 === 0 }));
}

/** The file's sync marker: the 16 bytes that end the header and every block. */
async function syncMarkerOf(path: string): Promise<Buffer> {
  const bytes = await readFile(path);
  const end = bytes.length;
  return bytes.subarray(end - 16, end);
}

describe('importing Avro storage files', () => {
  it('reads several types in Braze’s folder layout, with the null and deflate codecs', async () => {
    const written = new Map<string, Record<string, unknown>>();
    for (const [t, type] of TYPES.entries()) {
      for (const codec of ['null', 'deflate']) {
        const recs = records(type, 25, `${type}-${codec}`);
        for (const r of recs) written.set(r.id as string, { event_type: type, ...r });
        await writeAvro(storagePath(dir, type, `${codec}-${t}`), avroSchemaOf(type), recs, { codec, blockSize: 2048 });
      }
    }
    const { sink, log, quarantine } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 8, now: () => NOW });

    expect(summary).toEqual({
      files: 6,
      events: 150,
      stored: 150,
      duplicates: 0,
      repeated: 0,
      quarantined: 0,
      failures: [],
      missing: [],
    });
    expect(quarantine).toEqual([]);
    for (const [id, flat] of written) {
      const row = log.get(id)!;
      expect(row.type).toBe(flat.event_type);
      expect(JSON.parse(row.payload)).toEqual(flat);
      expect(row.receivedAt).toBe(NOW);
      expect(row.partition).toBe(partitionOf((flat.external_user_id ?? flat.user_id) as string, 8));
    }
    // An app-bound type keeps its platform; null optional fields (every other record) leave it unbound.
    const opens = [...log.values()].filter((r) => r.type === 'users.messages.pushnotification.Open');
    expect(new Set(opens.map((r) => r.platform))).toEqual(new Set(['ios', null]));
  });

  it('takes the type from the record name when the path has no event_type= folder', async () => {
    const type = 'users.messages.sms.Delivery';
    await writeAvro(join(dir, 'flat', 'sms.avro'), avroSchemaOf(type), records(type, 3, 'sms'));
    const { sink, log } = mapSink();
    const summary = await importPaths([join(dir, 'flat', 'sms.avro')], { sink, partitions: 4 });
    expect(summary.stored).toBe(3);
    expect([...log.values()].map((r) => r.type)).toEqual([type, type, type]);
  });

  it('takes the type from the event_type= folder over a record name it does not know', async () => {
    const type = 'users.messages.email.Open';
    const schema = { ...avroSchemaOf(type), name: 'Event', namespace: 'com.example.export' };
    const path = storagePath(dir, type, 'generic');
    await writeAvro(path, schema, records(type, 2, 'generic'));
    const { sink, log } = mapSink();
    expect((await importPaths([dir], { sink, partitions: 4 })).stored).toBe(2);
    expect(log.get('generic-0')!.type).toBe(type);
  });

  it('fails a file whose type cannot be told, naming both clues, and goes on', async () => {
    const type = 'users.messages.email.Open';
    await writeAvro(
      join(dir, 'a.avro'),
      { ...avroSchemaOf(type), name: 'Event', namespace: 'x' },
      records(type, 1, 'a'),
    );
    await writeAvro(join(dir, 'b.avro'), avroSchemaOf(type), records(type, 1, 'b'));
    const { sink } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary.stored).toBe(1);
    expect(summary.failures).toEqual([
      { path: join(dir, 'a.avro'), offset: 0, error: expect.stringContaining('record x.Event') as string },
    ]);
    expect(summary.failures[0]!.error).toContain('event_type=<type> folder');
  });

  it('keeps fields the catalog does not know, and quarantines records that break the catalog', async () => {
    const type = 'users.messages.email.Send';
    const schema = avroSchemaOf(type, [{ name: 'brand_new', type: ['null', 'string'] }]);
    // email_address is required by the catalog; a writer that made it optional can leave it null.
    const loose = {
      ...schema,
      fields: (schema as { fields: { name: string; type: unknown }[] }).fields.map((f) =>
        f.name === 'email_address' ? { name: f.name, type: ['null', 'string'] } : f,
      ),
    };
    const recs = records(type, 3, 'x').map((r, i) => ({
      ...r,
      brand_new: 'hello',
      email_address: i === 1 ? null : r.email_address,
    }));
    const path = storagePath(dir, type, 'loose');
    await writeAvro(path, loose, recs);
    const { sink, log, quarantine } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary).toMatchObject({ events: 3, stored: 2, quarantined: 1, failures: [] });
    expect(JSON.parse(log.get('x-0')!.payload).brand_new).toBe('hello');
    expect(quarantine[0]).toMatchObject({
      reason: `${type}: field "email_address" must be a string (got null)`,
      source: { kind: 'file', path, index: 1 },
      eventType: type,
    });
    expect(JSON.parse(quarantine[0]!.raw)).toMatchObject({ id: 'x-1', event_type: type, brand_new: 'hello' });
  });

  it('stores nothing new when the same files are imported twice', async () => {
    for (const type of TYPES) await writeAvro(storagePath(dir, type, 'f'), avroSchemaOf(type), records(type, 10, type));
    const { sink, log } = mapSink();
    const first = await importPaths([dir], { sink, partitions: 4 });
    const second = await importPaths([dir], { sink, partitions: 4 });
    expect(first).toMatchObject({ events: 30, stored: 30, duplicates: 0 });
    expect(second).toMatchObject({ events: 30, stored: 0, duplicates: 30 });
    expect(log.size).toBe(30);
  });

  it('reports a file cut in the middle of a block by path and block offset, keeps what came before, and goes on', async () => {
    const type = 'users.messages.email.Send';
    const cut = storagePath(dir, type, 'a-cut');
    const whole = storagePath(dir, type, 'b-whole');
    await writeAvro(cut, avroSchemaOf(type), records(type, 200, 'cut'), { blockSize: 4096 });
    await writeAvro(whole, avroSchemaOf(type), records(type, 5, 'whole'));
    const sync = await syncMarkerOf(cut);
    const size = (await stat(cut)).size;
    await truncate(cut, Math.floor(size * 0.6));

    const { sink, log } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary.failures).toHaveLength(1);
    const failure = summary.failures[0]!;
    expect(failure.path).toBe(cut);
    expect(failure.error).toMatch(/cut short/);
    // The offset is where the lost block starts: right after a sync marker, before the cut.
    const bytes = await readFile(cut);
    expect(failure.offset).toBeLessThan(bytes.length);
    expect(bytes.subarray(failure.offset - 16, failure.offset).equals(sync)).toBe(true);

    const kept = [...log.keys()].filter((id) => id.startsWith('cut-'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(200);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `cut-${i}`));
    expect([...log.keys()].filter((id) => id.startsWith('whole-'))).toHaveLength(5);
    expect(summary.files).toBe(2);
  });

  it('keeps the complete records of a cut deflate block', async () => {
    const type = 'users.messages.email.Send';
    const path = join(dir, 'one-block.avro');
    await writeAvro(path, avroSchemaOf(type), records(type, 50, 'd'), { codec: 'deflate', blockSize: 1 << 20 });
    const size = (await stat(path)).size;
    await truncate(path, size - 40);
    const { sink, log } = mapSink();
    const summary = await importPaths([path], { sink, partitions: 4 });
    expect(summary.failures[0]!.error).toMatch(/\(cut short\); \d+ of its 50 records were kept/);
    expect(log.size).toBeGreaterThan(0);
    expect(log.size).toBeLessThan(50);
  });

  it('reports a corrupt sync marker at the offset of its block', async () => {
    const type = 'users.messages.email.Send';
    const path = join(dir, 'bad-sync.avro');
    await writeAvro(path, avroSchemaOf(type), records(type, 100, 's'), { blockSize: 2048 });
    const bytes = await readFile(path);
    const sync = bytes.subarray(bytes.length - 16);
    const first = bytes.indexOf(sync);
    const second = bytes.indexOf(sync, first + 16);
    bytes[second] = bytes[second]! ^ 0xff;
    await writeFile(path, bytes);
    const { sink, log } = mapSink();
    const summary = await importPaths([path], { sink, partitions: 4 });
    expect(summary.failures[0]!.offset).toBe(first + 16);
    expect(summary.failures[0]!.error).toMatch(/sync marker/);
    expect(log.size).toBe(0);
  });

  it('reports a garbage file at offset 0 and imports the others', async () => {
    await writeFile(join(dir, 'garbage.avro'), Buffer.from('this is not avro at all, just text'));
    await writeFile(join(dir, 'empty.avro'), Buffer.alloc(0));
    const type = 'users.messages.email.Send';
    await writeAvro(join(dir, 'ok.avro'), avroSchemaOf(type), records(type, 4, 'ok'));
    const { sink } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary.stored).toBe(4);
    expect(summary.failures.map((f) => [f.path, f.offset])).toEqual([
      [join(dir, 'empty.avro'), 0],
      [join(dir, 'garbage.avro'), 0],
    ]);
    expect(summary.failures[1]!.error).toMatch(/not an Avro object container file/);
  });

  it('reads the snappy codec and names an unsupported codec', async () => {
    const type = 'users.messages.email.Send';
    const recs = records(type, 60, 'snap');
    await writeAvro(join(dir, 'a.avro'), avroSchemaOf(type), recs, {
      codec: 'snappy',
      codecs: { snappy: snappyCodec },
      blockSize: 4096,
    });
    await writeAvro(join(dir, 'b.avro'), avroSchemaOf(type), records(type, 2, 'z'), {
      codec: 'zstandard',
      codecs: { zstandard: (buf, cb) => cb(null, buf) },
    });
    const { sink, log } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary.stored).toBe(60);
    expect(JSON.parse(log.get('snap-7')!.payload)).toEqual({ event_type: type, ...recs[7] });
    expect(summary.failures).toEqual([
      {
        path: join(dir, 'b.avro'),
        offset: 0,
        error:
          'the file uses the Avro codec "zstandard", which is not supported (supported: null, deflate and snappy): ' +
          'write the files with one of these codecs',
      },
    ]);
  });

  it('refuses a snappy block whose checksum does not match', async () => {
    const type = 'users.messages.email.Send';
    const path = join(dir, 'crc.avro');
    const badCrc = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void): void =>
      snappyCodec(buf, (_e, out) => {
        out![out!.length - 1] ^= 1;
        cb(null, out);
      });
    await writeAvro(path, avroSchemaOf(type), records(type, 3, 'c'), { codec: 'snappy', codecs: { snappy: badCrc } });
    const { sink } = mapSink();
    const summary = await importPaths([path], { sink, partitions: 4 });
    expect(summary.failures[0]!.error).toMatch(/does not decompress with snappy \(the checksum does not match/);
  });
});
