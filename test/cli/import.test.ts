import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flatEvent } from '../helpers/events.js';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';
import { readStore, writeImportFolder } from './fixtures.js';

/** `currents import` through the built CLI into a data folder (needs `npm run build`). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(prefix: string): Promise<string> {
  const { dir, remove } = await tempFolder(prefix);
  cleanups.push(remove);
  return dir;
}

describe('currents import', { timeout: 90_000 }, () => {
  it('imports a folder, names the cut file with its offset (exit 2), and stores nothing new the second time', async () => {
    const files = await writeImportFolder(await folder('currents-files-'));
    const data = await folder('currents-data-');

    const first = await runCli(['import', files.root, '--data', data]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(2);
    const { path, blockAt, ids: cutIds } = files.truncated;
    expect(first.stdout).toMatch(
      new RegExp(
        `failed: ${path.replace(/[.+]/g, '\\$&')} at byte ${blockAt}: the file ends inside the block at byte ${blockAt} \\(cut short\\); \\d+ of its \\d+ records were kept`,
      ),
    );
    expect(first.stdout).toContain('the other files were imported');
    expect(first.stdout).toContain('quarantined: 1');
    expect(first.stdout).toContain('failed files: 1');
    expect(first.stdout).toContain('currents quarantine list');

    const afterFirst = await readStore(data);
    const stored = new Set(afterFirst.ids);
    expect(files.intact.filter((id) => !stored.has(id))).toEqual([]);
    // The cut file: the records before the cut, in order, and none after it.
    const fromCut = afterFirst.ids.filter((id) => id.startsWith('avro-cut-')).sort((a, b) => order(a) - order(b));
    expect(fromCut.length).toBeGreaterThan(0);
    expect(fromCut.length).toBeLessThan(cutIds.length);
    expect(fromCut).toEqual(cutIds.slice(0, fromCut.length));
    expect(afterFirst.ids).toHaveLength(files.intact.length + fromCut.length);
    expect(afterFirst.quarantine).toHaveLength(1);

    const second = await runCli(['import', files.root, '--data', data]);
    expect(second.code).toBe(2);
    expect(second.stdout).toContain(`stored: 0, duplicates (already stored): ${afterFirst.ids.length},`);
    const afterSecond = await readStore(data);
    expect(afterSecond.ids.sort()).toEqual(afterFirst.ids.sort());
    expect(afterSecond.quarantine).toEqual(afterFirst.quarantine);
  });

  it('exits 0 when every file was read', async () => {
    const files = await writeImportFolder(await folder('currents-files-'));
    const data = await folder('currents-data-');
    const result = await runCli(['import', files.ndjson.path, '--data', data, '--chunk-size', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'files: 1, events read: 5, stored: 4, duplicates (already stored): 0, repeated in these files: 0, quarantined: 1, failed files: 0',
    );
  });

  it('on a real store: repeats within the import apart from events stored before; a missing path is exit 1', async () => {
    const files = await folder('currents-files-');
    const data = await folder('currents-data-');
    const line = (id: string) => JSON.stringify({ ...flatEvent(), id });
    writeFileSync(join(files, 'first.ndjson'), `${line('kept-before')}\n`);
    expect((await runCli(['import', join(files, 'first.ndjson'), '--data', data])).code).toBe(0);
    writeFileSync(
      join(files, 'second.ndjson'),
      ['kept-before', 'twice', 'twice', 'across', 'fresh'].map(line).join('\n'),
    );
    writeFileSync(join(files, 'third.ndjson'), `${line('across')}\n`);
    const run = await runCli(['import', join(files, 'second.ndjson'), join(files, 'third.ndjson'), '--data', data]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      'events read: 6, stored: 3, duplicates (already stored): 1, repeated in these files: 2, quarantined: 0',
    );
    expect((await readStore(data)).ids.sort()).toEqual(['across', 'fresh', 'kept-before', 'twice']);

    const missing = join(files, 'no-such-dump');
    const refused = await runCli(['import', join(files, 'third.ndjson'), missing, '--data', data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `${missing} does not exist: check the path and run the import again; nothing was imported\n`,
    );
    expect(refused.stdout).toBe('');
  });

  it('exits 1 with a message when the data folder cannot be used', async () => {
    const files = await writeImportFolder(await folder('currents-files-'));
    const result = await runCli(['import', files.root, '--data', files.ndjson.path]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot open the store: /);
  });
});

function order(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}
