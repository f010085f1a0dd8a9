import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreConfigError, StoreUnavailableError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/index.js';
import { loadMigrations } from '../../src/store/sqlite/migrate.js';
import type { NewEvent } from '../../src/types.js';
import { describeStoreContract } from './contract.js';
import { events, exportRecord, newEvent } from './contract/fixtures.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'currents-store-'));
}

describeStoreContract('sqlite', async () => {
  const dir = await tempDir();
  const store = await openSqliteStore({ path: join(dir, 'currents.db') });
  return {
    store,
    another: () => openSqliteStore({ path: join(dir, 'currents.db') }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A store on a new file in a new temp folder, closed and removed after the test. */
  async function fresh(options: Omit<SqliteStoreOptions, 'path'> = {}): Promise<{ store: Store; path: string }> {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nested', 'currents.db');
    const store = await openSqliteStore({ ...options, path });
    cleanups.push(() => store.close());
    return { store, path };
  }

  it('keeps everything across close and reopen, and continues the seq after it', async () => {
    const { store, path } = await fresh();
    const evs = events(10, (i) => ({ partition: i % 2 }));
    const { lastSeq } = await store.append(evs);
    const exp = exportRecord();
    await store.createExport(exp);
    await store.putCursors([
      {
        exportId: exp.id,
        feed: 'ios',
        partition: 1,
        generation: 0,
        seq: 4,
        inflight: { to: 8, at: 99, plan: null, done: [5], unsure: ['b'], legacyDone: 1 },
        passed: [{ platformsIn: ['ios'], seq: 6, done: [] }],
      },
    ]);
    await store.addQuarantine([
      {
        reason: 'no id',
        source: { kind: 'http', requestId: 'r', index: 0 },
        raw: '{}',
        eventType: null,
        receivedAt: 1,
      },
    ]);
    await store.setMeta('partitions', '16');
    await store.close();

    const again = await openSqliteStore({ path });
    cleanups.push(() => again.close());
    expect((await again.read({ partition: 1, afterSeq: 0, limit: 100 })).rows.map((r) => r.eventId)).toEqual(
      evs.filter((e) => e.partition === 1).map((e) => e.eventId),
    );
    expect(await again.getExport(exp.id)).toEqual(exp);
    expect((await again.getCursors(exp.id))[0]).toMatchObject({
      seq: 4,
      inflight: { to: 8, at: 99, done: [5], unsure: ['b'], legacyDone: 1 },
      passed: [{ platformsIn: ['ios'], seq: 6, done: [] }],
    });
    expect(await again.countQuarantine()).toBe(1);
    expect(await again.getMeta('partitions')).toBe('16');
    expect(await again.append(evs.slice(0, 1))).toMatchObject({ stored: 0, duplicateIndexes: [0] });
    expect((await again.append([newEvent()])).lastSeq).toBeGreaterThan(lastSeq!);
  });

  it('applies its migrations once and records them in the file', async () => {
    const { store, path } = await fresh();
    await store.close();
    const reopened = await openSqliteStore({ path });
    await reopened.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer version, saying what to do', async () => {
    const { store, path } = await fresh();
    await store.close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    const opening = openSqliteStore({ path });
    await expect(opening).rejects.toBeInstanceOf(StoreConfigError);
    await expect(opening).rejects.toThrow(/newer version.*upgrade/);
  });

  it('answers StoreUnavailableError when the disk is full, having stored nothing of that call', async () => {
    const { store } = await fresh({ maxSizeBytes: 1024 * 1024 });
    const big = (): NewEvent[] => events(50, () => ({ payload: JSON.stringify({ pad: 'x'.repeat(1000) }) }));
    let acknowledged = 0;
    let failure: unknown = null;
    for (let i = 0; i < 100 && failure === null; i++) {
      try {
        acknowledged += (await store.append(big())).stored;
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    const error = failure as StoreUnavailableError;
    expect(error.message).toMatch(/full.*free space/);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect((error.cause as { code?: string }).code).toBe('SQLITE_FULL');
    expect(acknowledged).toBeGreaterThan(0);
    // Every acknowledged event is there, and nothing of the failed call.
    expect((await store.stats()).events).toBe(acknowledged);
  });

  it('does not fail the callers that shared a transaction with a bad one', async () => {
    const { store } = await fresh();
    const good = [events(3), events(2)];
    const bad = [{ ...newEvent(), type: null } as unknown as NewEvent];
    const [a, b, c] = await Promise.allSettled([store.append(good[0]!), store.append(bad), store.append(good[1]!)]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { stored: 3 } });
    expect(b.status).toBe('rejected');
    expect(c).toMatchObject({ status: 'fulfilled', value: { stored: 2 } });
    expect((await store.stats()).events).toBe(5);
  });

  it('commits appends still waiting when closed, then refuses further use', async () => {
    const { store, path } = await fresh({ groupCommitMs: 10_000 });
    const pending = store.append(events(4));
    await store.close();
    await expect(pending).resolves.toMatchObject({ stored: 4 });
    await expect(store.headSeq()).rejects.toThrow(/closed: open it again/);
    const again = await openSqliteStore({ path });
    cleanups.push(() => again.close());
    expect((await again.stats()).events).toBe(4);
  });

  it('ends a long retention pass early when closed, without failing it', async () => {
    const { store } = await fresh();
    const old = events(30_000, (i) => ({ partition: i % 4, receivedAt: 1000 }));
    for (let i = 0; i < old.length; i += 10_000) await store.append(old.slice(i, i + 10_000));
    const pass = store.applyRetention(2000);
    await store.close();
    const removed = await pass;
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThan(30_000);
  });

  it('gathers appends for groupCommitMs before committing', async () => {
    const { store } = await fresh({ groupCommitMs: 40 });
    const started = Date.now();
    const results = await Promise.all([store.append(events(1)), store.append(events(1))]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(results.map((r) => r.stored)).toEqual([1, 1]);
  });

  it('runs with synchronous normal', async () => {
    const { store } = await fresh({ synchronous: 'normal' });
    expect((await store.append(events(3))).stored).toBe(3);
  });

  it('pings while healthy and fails with StoreUnavailableError once its file is gone', async () => {
    const { store, path } = await fresh();
    await expect(store.ping()).resolves.toBeUndefined();
    await rm(path);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('says it is a single-process store', async () => {
    const { store } = await fresh();
    expect(store.capabilities).toEqual({ multiProcess: false, partitionedRetention: false });
  });
});
