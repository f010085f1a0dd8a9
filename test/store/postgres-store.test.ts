import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/types.js';
import { events, newEvent } from './contract/fixtures.js';
import { openTestStore, pgUnavailable, type TestStore } from './postgres-helper.js';

describe.skipIf(pgUnavailable !== null)('postgres store', () => {
  const opened: TestStore[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.cleanup();
  });
  const open = async (): Promise<TestStore> => {
    const t = await openTestStore({ partitionSize: 1000 });
    opened.push(t);
    return t;
  };

  it('says it may be shared by several processes and drops whole partitions', async () => {
    const { store } = await open();
    expect(store.capabilities).toEqual({ multiProcess: true, partitionedRetention: true });
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('does not fail the callers that shared a transaction with a bad one', async () => {
    const { store } = await open();
    const good = [events(3), events(2)];
    const bad = [{ ...newEvent(), type: null } as unknown as NewEvent];
    const [a, b, c] = await Promise.allSettled([store.append(good[0]!), store.append(bad), store.append(good[1]!)]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { stored: 3 } });
    expect(b.status).toBe('rejected');
    expect(c).toMatchObject({ status: 'fulfilled', value: { stored: 2 } });
    expect((await store.stats()).events).toBe(5);
  });

  it('commits appends already accepted when closed, then refuses further use', async () => {
    const t = await open();
    const pending = Promise.all([t.store.append(events(4)), t.store.append(events(3))]);
    await t.store.close();
    expect((await pending).map((r) => r.stored)).toEqual([4, 3]);
    await expect(t.store.headSeq()).rejects.toThrow(/closed: open it again/);
    await expect(t.store.append(events(1))).rejects.toThrow(/closed/);
    const again = await openTestStore({ schema: t.schema });
    try {
      expect((await again.store.stats()).events).toBe(7);
    } finally {
      await again.store.close();
    }
  });

  it('ends a retention pass early when closed, without failing it', async () => {
    const t = await openTestStore({ partitionSize: 100 });
    opened.push(t);
    const old = events(2000, (i) => ({ partition: i % 4, receivedAt: 1000 }));
    await t.store.append(old);
    await t.store.append(events(1, () => ({ receivedAt: 5000 })));
    const pass = t.store.applyRetention(2000);
    await t.store.close();
    const removed = await pass;
    expect(removed).toBeLessThan(2000);
    // The next pass, in another process, does the rest.
    const again = await openTestStore({ schema: t.schema, partitionSize: 100 });
    try {
      expect(removed + (await again.store.applyRetention(2000))).toBe(2000);
      expect((await again.store.stats()).events).toBe(1);
    } finally {
      await again.store.close();
    }
  });

  it('takes one call larger than a statement has parameters for', async () => {
    const t = await openTestStore({ partitionSize: 100_000 });
    opened.push(t);
    const { store } = t;
    const big = events(66_000, (i) => ({ partition: i % 8, payload: `{"n":${i}}` }));
    expect(await store.append(big)).toMatchObject({ stored: 66_000, lastSeq: 66_000 });
    expect((await store.read({ partition: 3, afterSeq: 0, limit: 1 })).rows[0]!.payload).toBe('{"n":3}');
  });
});
