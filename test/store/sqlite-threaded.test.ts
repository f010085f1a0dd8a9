import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { openThreadedSqliteStore } from '../../src/store/threaded/index.js';
import { describeStoreContract } from './contract.js';
import { events } from './contract/fixtures.js';

/** The SQLite store on its own worker thread (what `currents serve` runs) passes the same contract. */
describeStoreContract('sqlite on a worker thread', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'currents-threaded-'));
  const store = await openThreadedSqliteStore({ path: join(dir, 'currents.db') });
  return {
    store,
    another: () => openThreadedSqliteStore({ path: join(dir, 'currents.db') }),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite on a worker thread', () => {
  it('keeps the error class across the thread boundary: a full store is still StoreUnavailableError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'currents-threaded-'));
    const store = await openThreadedSqliteStore({ path: join(dir, 'currents.db'), maxSizeBytes: 1024 * 1024 });
    try {
      const big = events(1000, () => ({ payload: JSON.stringify({ pad: 'x'.repeat(2000) }) }));
      const failure = await store.append(big).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as StoreUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect((failure as Error).message).toContain('full');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses calls after close with a clear error instead of hanging', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'currents-threaded-'));
    const store = await openThreadedSqliteStore({ path: join(dir, 'currents.db') });
    await store.close();
    await expect(store.headSeq()).rejects.toThrow(/store thread stopped|closed/);
    await rm(dir, { recursive: true, force: true });
  });
});
