import { afterEach, describe, expect, it } from 'vitest';
import type { LeaseKey, Store } from '../../src/store/port.js';
import type { LogRow } from '../../src/types.js';
import { events, exportRecord, readAll } from './contract/fixtures.js';
import { dropSchema, freshSchema, openTestStore, pgUnavailable } from './postgres-helper.js';

const PARTITIONS = 4;

/**
 * Several stores on one schema stand for several processes: each has its own pool, so their appends meet only in
 * the database.
 */
describe.skipIf(pgUnavailable !== null)('postgres store: several processes on one schema', () => {
  let schema = '';
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await dropSchema(schema);
  });
  async function processes(n: number, partitionSize = 500): Promise<Store[]> {
    schema = freshSchema();
    for (let i = 0; i < n; i++) stores.push((await openTestStore({ schema, partitionSize, poolSize: 3 })).store);
    return stores.slice(0, n);
  }

  it('a reader moving its cursors to scannedTo never misses a row appended concurrently by other processes', async () => {
    const [reader, ...writers] = await processes(5);
    const acknowledged = new Set<string>();
    let writing = true;

    // Each writer keeps three appends in flight, of 1 to 20 events over all partitions.
    const write = async (store: Store): Promise<void> => {
      const lane = async (): Promise<void> => {
        for (let i = 0; i < 25; i++) {
          const batch = events(1 + Math.floor(Math.random() * 20), () => ({
            partition: Math.floor(Math.random() * PARTITIONS),
          }));
          const r = await store.append(batch);
          expect(r.stored).toBe(batch.length);
          for (const e of batch) acknowledged.add(e.eventId);
        }
      };
      await Promise.all([lane(), lane(), lane()]);
    };

    // The reader pages each partition like a sender, in small pages, while the writers write.
    const seen: LogRow[] = [];
    const cursors = new Array<number>(PARTITIONS).fill(0);
    const readOnce = async (partition: number): Promise<void> => {
      const r = await reader.read({ partition, afterSeq: cursors[partition]!, limit: 7 });
      for (const row of r.rows) {
        expect(row.seq).toBeGreaterThan(cursors[partition]!);
        expect(row.partition).toBe(partition);
      }
      seen.push(...r.rows);
      cursors[partition] = r.scannedTo;
    };
    const read = async (): Promise<void> => {
      while (writing) {
        for (let p = 0; p < PARTITIONS; p++) await readOnce(p);
      }
    };

    const reading = read();
    await Promise.all(writers.map(write));
    writing = false;
    await reading;
    // Catch up on what was committed after the last page.
    for (let p = 0; p < PARTITIONS; p++) {
      const rest = await readAll(reader, { partition: p, afterSeq: cursors[p]!, limit: 7 });
      seen.push(...rest.rows);
    }

    const ids = seen.map((r) => r.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(acknowledged.size);
    expect(new Set(ids)).toEqual(acknowledged);
    expect(acknowledged.size).toBeGreaterThan(1000);
  });

  it('keeps one copy of an event appended by two processes at once', async () => {
    const [a, b] = await processes(2);
    const shared = events(600, (i) => ({ partition: i % PARTITIONS }));
    const calls = (order: typeof shared): (typeof shared)[] =>
      Array.from({ length: 12 }, (_, i) => order.slice(i * 50, i * 50 + 50));
    const [ra, rb] = await Promise.all([
      Promise.all(calls(shared).map((c) => a!.append(c))),
      Promise.all(calls([...shared].reverse()).map((c) => b!.append(c))),
    ]);
    const results = [...ra, ...rb];
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(600);
    expect(results.reduce((n, r) => n + r.duplicateIndexes.length, 0)).toBe(600);
    const rows = (await Promise.all([0, 1, 2, 3].map((p) => readAll(a!, { partition: p })))).flatMap((r) => r.rows);
    expect(rows).toHaveLength(600);
    expect(new Set(rows.map((r) => r.eventId)).size).toBe(600);
    // Later, from either side, they are all duplicates.
    expect(await b!.append(shared.slice(0, 10))).toMatchObject({ stored: 0, lastSeq: null });
  });

  it('numbers replays asked for at once by two processes without a collision', async () => {
    const [a, b] = await processes(2);
    const exp = exportRecord();
    await a!.createExport(exp);
    const ask = (store: Store, i: number) =>
      store.createReplay({ exportId: exp.id, fromTime: 0, toTime: 1, uptoSeq: 0, createdAt: i });
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i % 2 === 0 ? a! : b!, i)));
    const generations = made.map((r) => r.generation).sort((x, y) => x - y);
    expect(generations).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await b!.listReplays(exp.id)).map((r) => r.generation)).toEqual(generations);
  });

  it('gives each contended lease to exactly one owner, and hands it over only after it expires', async () => {
    const [a, b] = await processes(2);
    const keys: LeaseKey[] = Array.from({ length: 40 }, (_, p) => ({ exportId: 'exp', feed: 'ios', partition: p }));
    const TTL = 10_000;
    const owners = async (now: number): Promise<{ a: number[]; b: number[] }> => {
      // Each side asks in its own order, several times at once.
      const asks = await Promise.all([
        ...[0, 1, 2].map(() => a!.claimLeases('owner-a', keys, now, TTL)),
        ...[0, 1, 2].map(() => b!.claimLeases('owner-b', [...keys].reverse(), now, TTL)),
      ]);
      const held = (i: number[]): number[] => [...new Set(i.flatMap((j) => asks[j]!.map((l) => l.partition)))];
      return { a: held([0, 1, 2]).sort((x, y) => x - y), b: held([3, 4, 5]).sort((x, y) => x - y) };
    };

    const first = await owners(1000);
    expect(first.a.filter((p) => first.b.includes(p))).toEqual([]);
    expect([...first.a, ...first.b].sort((x, y) => x - y)).toEqual(keys.map((k) => k.partition));
    // Renewals before expiry change nothing.
    expect(await owners(1000 + TTL - 1)).toEqual(first);
    const listed = await a!.listLeases('exp');
    expect(listed.filter((l) => l.owner === 'owner-a').map((l) => l.partition)).toEqual(first.a);

    // owner-a stops renewing; its last renewal ran until 1000 + 2 * TTL - 1.
    const takeover = 1000 + 2 * TTL - 1;
    expect(await b!.claimLeases('owner-b', keys, takeover - 1, TTL)).toHaveLength(first.b.length);
    expect(await b!.claimLeases('owner-b', keys, takeover, TTL)).toHaveLength(40);
    expect(await a!.claimLeases('owner-a', keys, takeover + 1, TTL)).toEqual([]);
    expect((await a!.listLeases()).every((l) => l.owner === 'owner-b')).toBe(true);
  });
});
