import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../catalog/samples.js';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';
import { readStore, rewriteQuarantined, writeImportFolder, type ImportFolder } from './fixtures.js';

/** `currents quarantine list|retry` through the built CLI, after an import (needs `npm run build`). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function imported(): Promise<{ files: ImportFolder; data: string }> {
  const a = await tempFolder('currents-files-');
  const b = await tempFolder('currents-data-');
  cleanups.push(a.remove, b.remove);
  const files = await writeImportFolder(a.dir);
  expect((await runCli(['import', files.ndjson.path, '--data', b.dir])).code).toBe(0);
  return { files, data: b.dir };
}

describe('currents quarantine', { timeout: 90_000 }, () => {
  it('lists the bad line with its file, byte offset and reason', async () => {
    const { files, data } = await imported();
    const list = await runCli(['quarantine', 'list', '--data', data]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^#1 {2}received \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(list.stdout).toContain(
      `currents import of ${files.ndjson.path}, at byte ${files.ndjson.badOffset}, record 3`,
    );
    expect(list.stdout).not.toContain('kind');
    expect(list.stdout).toContain('line 3 is not valid JSON');
    expect(list.stdout).toContain('fix the line and retry it');
    expect(list.stdout).toContain('1 shown, 1 in quarantine');

    const json = await runCli(['quarantine', 'list', '--data', data, '--json']);
    const records = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      id: 1,
      raw: files.ndjson.badLine,
      source: { kind: 'file', path: files.ndjson.path, offset: files.ndjson.badOffset, index: 2 },
    });
  });

  it('retry keeps a record still invalid, and stores it once its text is fixed', async () => {
    const { files, data } = await imported();
    const unchanged = await runCli(['quarantine', 'retry', '--data', data]);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain('retried 1: stored 0, duplicates 0, still quarantined 1');
    expect(unchanged.stdout).toMatch(/#1: the quarantined record is not valid JSON .*correct its text and retry/);

    // A first fix that closes the JSON but gives a field of the wrong type: the reason is updated to say what is left.
    const halfFixed = `${files.ndjson.badLine.replace(/,$/, '')}, "user_id": 1042}`;
    rewriteQuarantined(data, 1, halfFixed);
    const half = await runCli(['quarantine', 'retry', '--data', data, '1']);
    expect(half.stdout).toContain('still quarantined 1');
    expect(half.stdout).toContain('#1: users.messages.email.Send: field "user_id" must be a string (got number)');
    const listed = await runCli(['quarantine', 'list', '--data', data]);
    expect(listed.stdout).toContain('field "user_id" must be a string (got number)');

    rewriteQuarantined(data, 1, JSON.stringify(sampleEvent('users.messages.email.Send', { id: 'ndjson-bad' })));
    const retried = await runCli(['quarantine', 'retry', '--data', data, '1']);
    expect(retried.stderr).toBe('');
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('retried 1: stored 1, duplicates 0, still quarantined 0');

    const after = await readStore(data);
    expect(after.ids).toContain('ndjson-bad');
    expect(after.quarantine).toEqual([]);
    expect((await runCli(['quarantine', 'list', '--data', data])).stdout).toContain('0 shown, 0 in quarantine');
  });

  it('dismiss keeps the record out of the list and the count, and --dismissed lists it with its note', async () => {
    const { data } = await imported();
    const before = await runCli(['quarantine', 'list', '--data', data]);
    // Refused by this very version and catalog: a retry would fail again, and the list says so.
    expect(before.stdout).toContain('a retry would refuse them again');

    const dismissed = await runCli([
      'quarantine',
      'dismiss',
      '1',
      '--note',
      'a broken export, never valid',
      '--data',
      data,
    ]);
    expect(dismissed.stderr).toBe('');
    expect(dismissed.code).toBe(0);
    expect(dismissed.stdout).toBe('dismissed 1: #1\n');

    const list = await runCli(['quarantine', 'list', '--data', data]);
    expect(list.stdout).toBe('0 shown, 0 in quarantine, 1 dismissed (--dismissed lists them)\n');
    const gone = await runCli(['quarantine', 'list', '--dismissed', '--data', data]);
    expect(gone.stdout).toMatch(/^ {2}dismissed \d{4}-\d\d-\d\dT[\d:.]+Z: a broken export, never valid$/m);
    expect((await readStore(data)).quarantine).toHaveLength(0);

    const again = await runCli(['quarantine', 'dismiss', '1', '7', '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('dismissed 0\n');
    expect(again.stderr).toContain('not in quarantine (unknown, or dismissed before): #1, #7');
  });

  it('refuses a page size or a record id that is not a whole number, saying which', async () => {
    const { data } = await imported();
    const list = await runCli(['quarantine', 'list', '--data', data, '--limit', 'ten']);
    expect(list.code).toBe(1);
    expect(list.stderr).toBe('--limit must be a whole number of at least 1 (got "ten")\n');
    const retry = await runCli(['quarantine', 'retry', '--data', data, '1', 'x2']);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toBe('a record id must be a whole number of at least 1 (got "x2")\n');
    expect(retry.stdout).toBe('');
    expect((await readStore(data)).quarantine).toHaveLength(1);
  });
});
