import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerImport } from '../../src/cli/import.js';
import { avroRecordOf, avroSchemaOf, sampleEvent } from '../catalog/samples.js';
import { mapSink, storagePath, tempDir, writeAvro } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let out: string[];
let err: string[];
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await cleanup();
});

async function run(
  args: string[],
  openSink = mapSink(),
): Promise<{ closed: number; flags: Record<string, unknown>[] }> {
  const seen = { closed: 0, flags: [] as Record<string, unknown>[] };
  const program = new Command().exitOverride();
  registerImport(program, {
    openSink: (flags) => {
      seen.flags.push(flags);
      return Promise.resolve({
        sink: openSink.sink,
        partitions: 8,
        source: typeof flags.source === 'string' ? flags.source : 'default',
        close: () => {
          seen.closed++;
          return Promise.resolve();
        },
      });
    },
    options: (c) => c.option('--data <dir>', 'data folder'),
  });
  await program.parseAsync(['node', 'currents', 'import', ...args]);
  return seen;
}

describe('currents import', () => {
  it('prints a line per file and a summary, and exits 0 when every file was read', async () => {
    const type = 'users.messages.email.Send';
    await writeAvro(
      storagePath(dir, type, 'a'),
      avroSchemaOf(type),
      [1, 2, 3].map((i) => avroRecordOf(type, { id: `a${i}` })),
    );
    await writeFile(join(dir, 'b.ndjson'), `${JSON.stringify(sampleEvent(type, { id: 'b1' }))}\nnot json\n`);
    const seen = await run([dir, '--data', '/somewhere']);
    const text = out.join('');
    expect(text).toContain(`[1/2] ${join(dir, 'b.ndjson')}: 2 events read`);
    expect(text).toContain(`[2/2] ${storagePath(dir, type, 'a')}: 3 events read`);
    expect(text).toContain(
      'files: 2, events read: 5, stored: 4, duplicates (already stored): 0, repeated in these files: 0, quarantined: 1, failed files: 0',
    );
    expect(text).toContain('currents quarantine list');
    expect(process.exitCode).toBe(0);
    expect(seen.closed).toBe(1);
    expect(seen.flags[0]).toMatchObject({ data: '/somewhere', chunkSize: '1000' });
  });

  it('exits 2 and lists failed files with their offsets, after importing the rest', async () => {
    await writeFile(join(dir, 'bad.avro'), 'garbage');
    await writeFile(join(dir, 'good.json'), JSON.stringify([sampleEvent('users.messages.email.Send', { id: 'g' })]));
    const sink = mapSink();
    await run([dir], sink);
    const text = out.join('');
    expect(text).toContain('stored: 1,');
    expect(text).toContain(`failed: ${join(dir, 'bad.avro')} at byte 0: not an Avro object container file`);
    expect(process.exitCode).toBe(2);
    expect(sink.log.has('g')).toBe(true);
  });

  it('counts a second run as duplicates', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify([sampleEvent('users.messages.email.Send', { id: 'd' })]));
    const sink = mapSink();
    await run([dir], sink);
    out = [];
    await run([dir], sink);
    expect(out.join('')).toContain('stored: 0, duplicates (already stored): 1');
  });

  it('counts an id repeated inside one import as repeated, and only those stored before as already stored', async () => {
    const type = 'users.messages.email.Send';
    const line = (id: string) => JSON.stringify(sampleEvent(type, { id }));
    await writeFile(join(dir, 'before.json'), JSON.stringify([sampleEvent(type, { id: 'old' })]));
    const sink = mapSink();
    await run([join(dir, 'before.json')], sink);
    out = [];
    // "old" was stored by the first run; "r1" twice in one file (one chunk), "r2" in two files (two chunks).
    await writeFile(join(dir, 'a.ndjson'), [line('old'), line('r1'), line('r1'), line('r2')].join('\n'));
    await writeFile(join(dir, 'b.ndjson'), [line('r2'), line('r2'), line('new')].join('\n'));
    await run([join(dir, 'a.ndjson'), join(dir, 'b.ndjson'), '--chunk-size', '2'], sink);
    expect(out.join('')).toContain(
      'files: 2, events read: 7, stored: 3, duplicates (already stored): 1, repeated in these files: 3, quarantined: 0',
    );
    expect([...sink.log.keys()].sort()).toEqual(['new', 'old', 'r1', 'r2']);
    expect(process.exitCode).toBe(0);
  });

  it('refuses a path that does not exist, naming it, exit 1, and imports nothing of the others', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify([sampleEvent('users.messages.email.Send', { id: 'a' })]));
    const sink = mapSink();
    const missing = join(dir, 'dump-typo');
    const seen = await run([join(dir, 'a.json'), missing], sink);
    expect(err.join('')).toBe(
      `${missing} does not exist: check the path and run the import again; nothing was imported\n`,
    );
    expect(out.join('')).not.toContain('the other files were imported');
    expect(process.exitCode).toBe(1);
    expect(sink.log.size).toBe(0);
    expect(seen.flags).toEqual([]);
  });

  it('exits 1 with the reason when the store refuses events, and still closes it', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify([sampleEvent('users.messages.email.Send')]));
    const failing = { ...mapSink(), sink: () => Promise.reject(new Error('database is locked')) };
    const seen = await run([dir], failing);
    expect(err.join('')).toMatch(/import stopped: .*database is locked/);
    expect(process.exitCode).toBe(1);
    expect(seen.closed).toBe(1);
  });

  it('refuses a chunk size that is not a positive whole number', async () => {
    const seen = await run([dir, '--chunk-size', 'lots']);
    expect(err.join('')).toContain('--chunk-size must be a positive whole number');
    expect(process.exitCode).toBe(1);
    expect(seen.flags).toEqual([]);
  });
});
