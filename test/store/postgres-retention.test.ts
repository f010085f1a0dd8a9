import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import type { Cursor } from '../../src/types.js';
import { events, exportRecord, readAll } from './contract/fixtures.js';
import { admin, openTestStore, pgUnavailable, type TestStore } from './postgres-helper.js';

const OLD = 1_000;
const YOUNG = 9_000;
const CUTOFF = 5_000;
/** Seqs per partition of the log in these tests: the seed below fills four of them. */
const SIZE = 10;

/**
 * 40 rows, seqs 1..40, alternating user partitions (odd seqs in 0, even in 1): three log chunks of old rows
 * ([1,11), [11,21), [21,31)) then one of young rows ([31,41)).
 */
async function seed(store: Store): Promise<void> {
  const r = await store.append(events(40, (i) => ({ partition: i % 2, receivedAt: i < 30 ? OLD : YOUNG })));
  expect(r).toMatchObject({ stored: 40, lastSeq: 40 });
}

const live = (exportId: string, partition: number, seq: number): Cursor => ({
  exportId,
  feed: 'ios',
  partition,
  generation: 0,
  seq,
  inflight: null,
  passed: [],
});

describe.skipIf(pgUnavailable !== null)('postgres store: retention drops whole partitions of the log', () => {
  const opened: TestStore[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.cleanup();
  });
  /** The store opened last. */
  let t: TestStore | null = null;
  const open = async (partitionSize = SIZE): Promise<Store> => {
    t = await openTestStore({ partitionSize });
    opened.push(t);
    return t.store;
  };
  /** The first seq of each chunk table attached to the log. */
  const chunks = async (): Promise<number[]> =>
    (
      await admin<{ lo: string }>(
        `SELECT p.lo FROM ${t!.schema}.log_partitions p JOIN pg_inherits i ON i.inhrelid = ` +
          `to_regclass('${t!.schema}.' || p.name) ORDER BY p.lo`,
      )
    ).map((r) => Number(r.lo));
  const seqsKept = async (store: Store): Promise<number[]> =>
    [...(await readAll(store, { partition: 0 })).rows, ...(await readAll(store, { partition: 1 })).rows]
      .map((r) => r.seq)
      .sort((a, b) => a - b);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('with no exports, drops every partition whose rows are all old, and its table with it', async () => {
    const store = await open();
    await seed(store);
    expect(await chunks()).toEqual(expect.arrayContaining([1, 11, 21, 31]));
    expect(await store.applyRetention(CUTOFF)).toBe(30);
    expect(await seqsKept(store)).toEqual(range(31, 40));
    const left = await chunks();
    expect(left).not.toContain(1);
    expect(left).not.toContain(21);
    expect(left).toContain(31);
    expect((await admin(`SELECT to_regclass('${t!.schema}.event_log_1') AS t`))[0]).toEqual({ t: null });
    expect(await store.stats()).toMatchObject({ events: 10, headSeq: 40, oldestReceivedAt: YOUNG });
    expect(await store.applyRetention(CUTOFF)).toBe(0);
  });

  it('keeps a partition one of whose user partitions an export has not passed', async () => {
    const store = await open();
    await seed(store);
    const exp = exportRecord({ startSeq: 0 });
    await store.createExport(exp);
    // Partition 0 is past 19 (all of [11,21) in it), partition 1 only at 14: [11,21) holds its rows 16, 18, 20.
    await store.putCursors([live(exp.id, 0, 19), live(exp.id, 1, 14)]);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    expect(await seqsKept(store)).toEqual(range(11, 40));
    await store.putCursors([live(exp.id, 1, 20)]);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    expect(await seqsKept(store)).toEqual(range(21, 40));
  });

  it('holds a user partition without a cursor from the export startSeq', async () => {
    const store = await open();
    await seed(store);
    const exp = exportRecord({ startSeq: 10 });
    await store.createExport(exp);
    await store.putCursors([live(exp.id, 0, 40)]);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    expect(await seqsKept(store)).toEqual(range(11, 40));
  });

  it('keeps young rows even when every export is past them, and takes the lowest position over exports', async () => {
    const store = await open();
    await seed(store);
    const ahead = exportRecord({ startSeq: 40 });
    const behind = exportRecord({ startSeq: 0 });
    await store.createExport(ahead);
    await store.createExport(behind);
    await store.putCursors([live(ahead.id, 0, 39), live(ahead.id, 1, 40)]);
    await store.putCursors([live(behind.id, 0, 29), live(behind.id, 1, 18)]);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    await store.putCursors([live(behind.id, 1, 40)]);
    expect(await store.applyRetention(CUTOFF)).toBe(20);
    expect(await seqsKept(store)).toEqual(range(31, 40));
  });

  it('is held by an unfinished replay, released when it finishes or its export is deleted', async () => {
    const store = await open();
    await seed(store);
    const exp = exportRecord({ startSeq: 40 });
    await store.createExport(exp);
    await store.createReplay({
      exportId: exp.id,
      fromTime: 0,
      toTime: 2_000_000_000,
      uptoSeq: 40,
      createdAt: 1,
    });
    await store.putCursors([live(exp.id, 0, 40), live(exp.id, 1, 40), { ...live(exp.id, 0, 15), generation: 1 }]);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    await store.finishReplay(exp.id, 1, 2);
    expect(await store.applyRetention(CUTOFF)).toBe(20);

    const other = await open();
    await seed(other);
    const holding = exportRecord({ startSeq: 0 });
    await other.createExport(holding);
    expect(await other.applyRetention(CUTOFF)).toBe(0);
    await other.deleteExport(holding.id);
    expect(await other.applyRetention(CUTOFF)).toBe(30);
  });

  it('seals the partition being written once it holds old rows, and drops it when they all are', async () => {
    const store = await open(100);
    await store.append(events(10, (i) => ({ partition: i % 2, receivedAt: OLD })));
    await store.append(events(5, (i) => ({ partition: i % 2, receivedAt: YOUNG })));
    // [1,101) is still being written: nothing goes, but the next append starts a new partition.
    expect(await store.applyRetention(CUTOFF)).toBe(0);
    const next = await store.append(events(1, () => ({ receivedAt: YOUNG + 1 })));
    expect(next.lastSeq).toBe(101);
    expect(await store.headSeq()).toBe(101);
    expect(await store.applyRetention(YOUNG + 1)).toBe(15);
    expect(await seqsKept(store)).toEqual([101]);
    // A quiet log whose only partition is all old is emptied too; seqs keep growing.
    expect(await store.applyRetention(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect((await store.append(events(1))).lastSeq).toBeGreaterThan(101);
  });

  it('finishes a drop that was interrupted after detaching the partition', async () => {
    const store = await open();
    await seed(store);
    await admin(`ALTER TABLE ${t!.schema}.event_log DETACH PARTITION ${t!.schema}.event_log_11 CONCURRENTLY`);
    // Detached rows are no longer part of the log.
    expect(await seqsKept(store)).toEqual([...range(1, 10), ...range(21, 40)]);
    const exp = exportRecord({ startSeq: 0 });
    await store.createExport(exp);
    expect(await store.applyRetention(CUTOFF)).toBe(10);
    expect((await admin(`SELECT to_regclass('${t!.schema}.event_log_11') AS t`))[0]).toEqual({ t: null });
    expect((await store.stats()).events).toBe(30);
  });
});
