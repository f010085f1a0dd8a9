import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importPaths, type ImportProgress } from '../../src/ingest/files.js';
import { sampleEvent } from '../catalog/samples.js';
import { mapSink, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const send = (id: string, over: Record<string, unknown> = {}): Record<string, unknown> =>
  sampleEvent('users.messages.email.Send', { id, overrides: over });

/** The nested (HTTP) form of a push Open. */
const nestedOpen = (id: string): Record<string, unknown> => ({
  event_type: 'users.messages.pushnotification.Open',
  id,
  time: 1_764_300_000,
  user: { user_id: `u-${id}`, external_user_id: `x-${id}` },
  properties: { app_id: 'app-1', platform: 'android', app_group_id: 'g', send_id: 's', dispatch_id: 'd' },
});

describe('importing NDJSON and JSON files', () => {
  it('quarantines a bad NDJSON line with its byte offset and imports the rest', async () => {
    const lines = [
      JSON.stringify(send('n1')),
      '{"event_type": "users.messages.email.Send", "id": ',
      '',
      JSON.stringify(nestedOpen('n2')),
      JSON.stringify(send('n3', { email_address: 7 })),
      JSON.stringify(send('n4')),
    ];
    const text = `${lines.join('\n')}\r\n`;
    const path = join(dir, 'events.ndjson');
    await writeFile(path, text);
    const { sink, log, quarantine } = mapSink();
    const summary = await importPaths([path], { sink, partitions: 4 });

    expect(summary).toEqual({
      files: 1,
      events: 5,
      stored: 3,
      duplicates: 0,
      repeated: 0,
      quarantined: 2,
      failures: [],
      missing: [],
    });
    expect([...log.keys()].sort()).toEqual(['n1', 'n2', 'n4']);
    expect(log.get('n2')).toMatchObject({ platform: 'android', externalUserId: 'x-n2' });
    const lineOffset = (i: number): number => Buffer.byteLength(lines.slice(0, i).join('\n')) + (i > 0 ? 1 : 0);
    expect(quarantine[0]).toMatchObject({
      source: { kind: 'file', path, offset: lineOffset(1), index: 1 },
      raw: lines[1],
      eventType: null,
    });
    expect(quarantine[0]!.reason).toMatch(/^line 2 is not valid JSON/);
    expect(quarantine[1]).toMatchObject({
      source: { kind: 'file', path, offset: lineOffset(4), index: 4 },
      raw: lines[4],
      eventType: 'users.messages.email.Send',
      reason: 'users.messages.email.Send: field "email_address" must be a string (got number)',
    });
  });

  it('counts byte offsets in UTF-8 and reads a last line without a newline', async () => {
    const first = JSON.stringify(send('é1', { email_address: 'zoë@example.com' }));
    const path = join(dir, 'utf8.jsonl');
    await writeFile(path, `${first}\nnot json`);
    const { sink, log, quarantine } = mapSink();
    await importPaths([path], { sink, partitions: 4 });
    expect(log.has('é1')).toBe(true);
    expect(quarantine[0]!.source).toEqual({ kind: 'file', path, offset: Buffer.byteLength(first) + 1, index: 1 });
  });

  it('reads JSON files holding an array or a push body, nested or flat', async () => {
    await writeFile(join(dir, 'array.json'), JSON.stringify([send('j1'), nestedOpen('j2'), 'oops']));
    await writeFile(join(dir, 'body.json'), JSON.stringify({ events: [nestedOpen('j3'), send('j4')] }));
    await writeFile(join(dir, 'empty.json'), JSON.stringify({ events: [] }));
    const { sink, log, quarantine } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary).toMatchObject({ files: 3, events: 5, stored: 4, quarantined: 1, failures: [] });
    expect([...log.keys()].sort()).toEqual(['j1', 'j2', 'j3', 'j4']);
    expect(quarantine[0]).toMatchObject({
      source: { kind: 'file', path: join(dir, 'array.json'), offset: 0, index: 2 },
      raw: '"oops"',
      reason: 'item 2 is not a JSON object (a Currents event)',
    });
  });

  it('fails a JSON file that does not parse or has the wrong shape, and goes on', async () => {
    await writeFile(join(dir, 'a.json'), '{"events": [');
    await writeFile(join(dir, 'b.json'), '{"data": 1}');
    await writeFile(join(dir, 'c.json'), JSON.stringify([send('c1')]));
    const { sink } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 4 });
    expect(summary.stored).toBe(1);
    expect(summary.failures.map((f) => f.path)).toEqual([join(dir, 'a.json'), join(dir, 'b.json')]);
    expect(summary.failures[0]!.error).toMatch(/not valid JSON/);
    expect(summary.failures[1]).toMatchObject({
      offset: 0,
      error: 'expected a JSON array of events or an object {"events": [...]}',
    });
  });
});

describe('the import run', () => {
  it('hands events to the sink in chunks and reports progress to the end', async () => {
    for (let f = 0; f < 3; f++) {
      const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify(send(`c${f}-${i}`)));
      await writeFile(join(dir, `f${f}.ndjson`), lines.join('\n'));
    }
    const { sink, calls } = mapSink();
    const progress: ImportProgress[] = [];
    const summary = await importPaths([dir], {
      sink,
      partitions: 4,
      chunkSize: 7,
      onProgress: (p) => progress.push(p),
    });
    expect(summary.stored).toBe(30);
    expect(calls.every((n) => n <= 7)).toBe(true);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(30);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ filesDone: 3, filesTotal: 3, events: 30, file: join(dir, 'f2.ndjson') });
    expect(last.bytesDone).toBe(last.bytesTotal);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone);
    }
  });

  it('walks folders recursively in sorted order, passes over other files, and reports missing paths', async () => {
    await mkdir(join(dir, 'b', 'deep'), { recursive: true });
    await mkdir(join(dir, 'a'), { recursive: true });
    await writeFile(join(dir, 'b', 'deep', 'x.ndjson'), JSON.stringify(send('w2')));
    await writeFile(join(dir, 'a', 'y.json'), JSON.stringify([send('w1')]));
    await writeFile(join(dir, 'a', '_SUCCESS'), '');
    await writeFile(join(dir, 'notes.txt'), 'hello');
    const order: string[] = [];
    const { sink } = mapSink();
    const summary = await importPaths([join(dir, 'missing'), dir, join(dir, 'notes.txt')], {
      sink,
      partitions: 4,
      onProgress: (p) => {
        if (order.at(-1) !== p.file) order.push(p.file);
      },
    });
    expect(order).toEqual([join(dir, 'a', 'y.json'), join(dir, 'b', 'deep', 'x.ndjson')]);
    expect(summary).toMatchObject({ files: 2, stored: 2 });
    expect(summary.failures).toEqual([
      { path: join(dir, 'missing'), offset: 0, error: 'no such file or folder: check the path' },
      {
        path: join(dir, 'notes.txt'),
        offset: 0,
        error: 'not an .avro, .ndjson, .jsonl or .json file: rename it or leave it out',
      },
    ]);
  });

  it('stops with an error that says what to do when the sink refuses a chunk', async () => {
    await writeFile(join(dir, 'a.ndjson'), JSON.stringify(send('s1')));
    const sink = (): Promise<{ stored: number; duplicates: number }> => Promise.reject(new Error('disk full'));
    const run = importPaths([dir], { sink, partitions: 4 });
    await expect(run).rejects.toThrow(/did not accept events .*disk full.*run the import again/);
    await expect(run).rejects.toHaveProperty('cause', new Error('disk full'));
  });
});
