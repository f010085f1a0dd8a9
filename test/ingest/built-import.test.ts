import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avroRecordOf, avroSchemaOf, sampleEvent } from '../catalog/samples.js';
import { storagePath, tempDir, writeAvro } from './fixtures.js';

/**
 * The built code under plain Node (not Vitest's module loader), as `currents import` runs it: CommonJS packages
 * such as avsc and cli-progress are loaded the way Node loads them. Needs `npm run build` first.
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const built = join(root, 'dist', 'src', 'cli', 'import.js');

const driver = `
import { Command } from 'commander';
import { registerImport } from ${JSON.stringify(built)};
const ids = new Set();
const program = new Command();
registerImport(program, {
  openSink: async () => ({
    partitions: 4,
    close: async () => {},
    sink: async ({ events }) => {
      let stored = 0;
      for (const e of events) if (!ids.has(e.eventId)) { ids.add(e.eventId); stored++; }
      return { stored, duplicates: events.length - stored };
    },
  }),
});
await program.parseAsync(process.argv);
`;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

describe('the built import command', () => {
  it('imports Avro (deflate) and NDJSON files under plain Node', async () => {
    expect(existsSync(built), 'run `npm run build` before this test').toBe(true);
    const type = 'users.messages.email.Send';
    const recs = Array.from({ length: 30 }, (_, i) => avroRecordOf(type, { id: `b${i}` }));
    await writeAvro(storagePath(dir, type, 'x'), avroSchemaOf(type), recs, { codec: 'deflate', blockSize: 1024 });
    await writeFile(join(dir, 'more.ndjson'), `${JSON.stringify(sampleEvent(type, { id: 'n1' }))}\n`);
    await writeFile(join(dir, 'broken.avro'), 'not avro');

    const result = await run(process.execPath, ['--input-type=module', '-e', driver, 'currents', 'import', dir], {
      cwd: root,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      'files: 3, events read: 31, stored: 31, duplicates (already stored): 0, repeated in these files: 0, quarantined: 0, failed files: 1',
    );
    expect(result.stdout).toContain(`failed: ${join(dir, 'broken.avro')} at byte 0`);
    expect(result.code).toBe(2);
  });
});
