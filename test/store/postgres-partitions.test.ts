import { afterEach, describe, expect, it } from 'vitest';
import { events, readAll } from './contract/fixtures.js';
import { admin, freshSchema, openTestStore, pgUnavailable, type TestStore } from './postgres-helper.js';

describe.skipIf(pgUnavailable !== null)('postgres store: partitions of the log', () => {
  const opened: TestStore[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.cleanup();
  });
  const open = async (partitionSize: number, schema?: string): Promise<TestStore> => {
    const t = await openTestStore({ partitionSize, ...(schema ? { schema } : {}) });
    opened.push(t);
    return t;
  };

  /** [lo, hi) of each partition table attached to the log, checked against the catalog, not only our list. */
  async function attached(schema: string): Promise<[number, number][]> {
    const rows = await admin<{ lo: string; hi: string; bound: string }>(
      `SELECT p.lo, p.hi, pg_get_expr(c.relpartbound, c.oid) AS bound FROM ${schema}.log_partitions p ` +
        `JOIN pg_class c ON c.oid = to_regclass('${schema}.' || p.name) ` +
        `JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = to_regclass('${schema}.event_log') ORDER BY p.lo`,
    );
    for (const r of rows) expect(r.bound).toBe(`FOR VALUES FROM ('${r.lo}') TO ('${r.hi}')`);
    return rows.map((r) => [Number(r.lo), Number(r.hi)]);
  }

  async function eventually(check: () => Promise<boolean>): Promise<void> {
    const until = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > until) throw new Error('condition not met within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('opens with one partition, and creates the next one when the head gets within half of it', async () => {
    const { store, schema } = await open(100);
    expect(await attached(schema)).toEqual([[1, 101]]);
    await store.append(events(40));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await attached(schema)).toEqual([[1, 101]]);

    await store.append(events(20));
    await eventually(async () => (await attached(schema)).length === 2);
    expect(await attached(schema)).toEqual([
      [1, 101],
      [101, 201],
    ]);
    // Appends inside the room created ahead add no table.
    for (let i = 0; i < 6; i++) await store.append(events(10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await attached(schema)).length).toBe(2);
    expect((await store.append(events(40))).lastSeq).toBe(160);
    await eventually(async () => (await attached(schema)).length === 3);
  });

  it('takes a burst larger than the room ahead in one call', async () => {
    const { store, schema } = await open(100);
    const burst = events(450, (i) => ({ partition: i % 3 }));
    expect(await store.append(burst)).toMatchObject({ stored: 450, lastSeq: 450 });
    const ranges = await attached(schema);
    expect(ranges[ranges.length - 1]![1]).toBeGreaterThan(450);
    const rows = (await Promise.all([0, 1, 2].map((p) => readAll(store, { partition: p })))).flatMap((r) => r.rows);
    expect(rows.map((r) => r.eventId).sort()).toEqual(burst.map((e) => e.eventId).sort());
  });

  it('lets two processes that both run out of room create the partitions once', async () => {
    const schema = freshSchema();
    const a = await open(50, schema);
    const b = await openTestStore({ partitionSize: 50, schema });
    try {
      const [ra, rb] = await Promise.all([
        a.store.append(events(300, (i) => ({ partition: i % 2 }))),
        b.store.append(events(300, (i) => ({ partition: i % 2 }))),
      ]);
      expect(ra.stored + rb.stored).toBe(600);
      const ranges = await attached(schema);
      // Contiguous, no overlap, covering everything written.
      ranges.slice(1).forEach(([lo], i) => expect(lo).toBe(ranges[i]![1]));
      expect(ranges[ranges.length - 1]![1]).toBeGreaterThan(600);
      expect((await a.store.stats()).events).toBe(600);
    } finally {
      await b.store.close();
    }
  });
});
