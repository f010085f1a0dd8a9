import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { allRows } from '../helpers/app.js';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';

/** `currents sources ...` and `currents import --source` through the built CLI on a data folder. */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(): Promise<string> {
  const t = await tempFolder('currents-sources-cli-');
  cleanups.push(t.remove);
  return t.dir;
}

async function file(body: unknown): Promise<string> {
  const path = join(await folder(), 'source.json');
  writeFileSync(path, JSON.stringify(body));
  return path;
}

const json = <T>(stdout: string): T => JSON.parse(stdout) as T;
const SECRET = 'cli-source-secret-that-must-stay-hidden';

/** Every byte the data folder holds, to look for what must never be written. */
const dataText = (data: string): string =>
  readdirSync(data)
    .map((name) => readFileSync(join(data, name)).toString('latin1'))
    .join('\n');

describe('currents sources', { timeout: 90_000 }, () => {
  it('creates an http source, printing its token once; lists, pauses, resumes, renews the token, deletes', async () => {
    const data = await folder();
    const created = await runCli([
      'sources',
      'create',
      '--file',
      await file({ id: 'brand-a', name: 'Brand A', kind: 'http' }),
      '--data',
      data,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { token } = json<{ token: string }>(created.stdout);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(created.stderr).toMatch(/token of source brand-a is shown this once/);

    const list = await runCli(['sources', 'list', '--data', data]);
    expect(json<{ id: string; received_events: number }[]>(list.stdout).map((s) => [s.id, s.received_events])).toEqual([
      ['default', 0],
      ['brand-a', 0],
    ]);
    const shown = await runCli(['sources', 'show', 'brand-a', '--data', data]);
    expect(json(shown.stdout)).toMatchObject({ id: 'brand-a', kind: 'http', own_token: true });
    expect(json<{ state: string }>((await runCli(['sources', 'pause', 'brand-a', '--data', data])).stdout).state).toBe(
      'paused',
    );
    expect(json<{ state: string }>((await runCli(['sources', 'resume', 'brand-a', '--data', data])).stdout).state).toBe(
      'active',
    );
    const status = await runCli(['sources', 'status', 'brand-a', '--data', data]);
    expect(json(status.stdout)).toMatchObject({ id: 'brand-a', received_events: 0, lag_seconds: null, exports: [] });
    const renewed = await runCli(['sources', 'token', 'brand-a', '--data', data]);
    expect(json<{ token: string }>(renewed.stdout).token).not.toBe(token);

    const printed = [list, shown, status].map((r) => r.stdout + r.stderr).join('\n');
    expect(printed).not.toContain(token);
    expect(dataText(data)).not.toContain(token);

    const builtIn = await runCli(['sources', 'delete', 'default', '--data', data]);
    expect(builtIn.code).toBe(1);
    expect(builtIn.stderr).toMatch(/default source .* cannot be deleted; pause it/);
    const deleted = await runCli(['sources', 'delete', 'brand-a', '--data', data]);
    expect(deleted.stdout).toBe('deleted brand-a\n');
    const gone = await runCli(['sources', 'show', 'brand-a', '--data', data]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no source with id brand-a; "currents sources list" lists them/);
  });

  it('keeps a bucket source secret encrypted and never prints it; refuses bad settings saying what to change', async () => {
    const data = await folder();
    const body = {
      id: 'bucket-b',
      name: 'Brand B',
      kind: 's3',
      bucket: 'braze-currents',
      access_key_id: 'AKIAEXAMPLE',
      secret_access_key: SECRET,
    };
    const created = await runCli(['sources', 'create', '--file', await file(body), '--data', data]);
    expect(created.code, created.stderr).toBe(0);
    expect(json(created.stdout)).toMatchObject({ secret_access_key_set: true, region: 'us-east-1' });
    expect(created.stdout).not.toContain('"token"');
    const updated = await runCli([
      'sources',
      'update',
      'bucket-b',
      '--file',
      await file({ prefix: 'b/', secret_access_key: `${SECRET}-2` }),
      '--data',
      data,
    ]);
    expect(json(updated.stdout)).toMatchObject({ prefix: 'b/', secret_access_key_set: true });
    for (const r of [created, updated]) expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(dataText(data)).not.toContain(SECRET);

    const bad = await runCli(['sources', 'create', '--file', await file({ name: 'x', kind: 'gcs' }), '--data', data]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bucket: the bucket name is required/);
    const other = await runCli([
      'sources',
      'update',
      'bucket-b',
      '--file',
      await file({ container: 'c' }),
      '--data',
      data,
    ]);
    expect(other.stderr).toMatch(/container: not a setting of s3 sources/);
  });
});

describe('currents import --source', { timeout: 90_000 }, () => {
  it('files the events under the source, and refuses a source that does not exist or is paused', async () => {
    const data = await folder();
    const events = ['imp-1', 'imp-2'].map((id) => JSON.stringify(sampleEvent('users.messages.email.Send', { id })));
    const ndjson = join(await folder(), 'dump.ndjson');
    writeFileSync(ndjson, `${events.join('\n')}\n`);
    await runCli([
      'sources',
      'create',
      '--file',
      await file({ id: 'bucket-c', name: 'C', kind: 'gcs', bucket: 'cur' }),
      '--data',
      data,
    ]);

    const missing = await runCli(['import', ndjson, '--source', 'nope', '--data', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/there is no source nope: "currents sources list" lists them/);
    await runCli(['sources', 'pause', 'bucket-c', '--data', data]);
    const paused = await runCli(['import', ndjson, '--source', 'bucket-c', '--data', data]);
    expect(paused.code).toBe(1);
    expect(paused.stderr).toMatch(/bucket-c is paused.*currents sources resume bucket-c/);
    await runCli(['sources', 'resume', 'bucket-c', '--data', data]);

    const imported = await runCli(['import', ndjson, '--source', 'bucket-c', '--data', data]);
    expect(imported.code, imported.stderr).toBe(0);
    const store = await openSqliteStore({ path: join(data, 'currents.db') });
    try {
      expect((await allRows(store, 16)).map((r) => [r.eventId, r.source])).toEqual([
        ['imp-1', 'bucket-c'],
        ['imp-2', 'bucket-c'],
      ]);
    } finally {
      await store.close();
    }
    const status = await runCli(['sources', 'status', 'bucket-c', '--data', data]);
    expect(json(status.stdout)).toMatchObject({ received_events: 2 });
  });
});
