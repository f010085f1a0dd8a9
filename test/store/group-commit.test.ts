import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';

describe('group commit', () => {
  it('commits concurrent submissions in one call and answers each caller with its own result', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(
      (items) => {
        batches.push([...items]);
        return items.map((i) => i * 10);
      },
      { delayMs: 0 },
    );
    const results = await Promise.all([1, 2, 3, 4].map((i) => gc.submit(i)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(await gc.submit(5)).toBe(50);
    expect(batches).toHaveLength(2);
  });

  it('settles no caller before the commit has returned', async () => {
    let committed = false;
    const gc = new GroupCommit<number, boolean>(
      (items) => {
        committed = true;
        return items.map(() => committed);
      },
      { delayMs: 0 },
    );
    const early = gc.submit(1).then(() => committed);
    expect(committed).toBe(false);
    expect(await early).toBe(true);
  });

  it('waits delayMs to gather submissions that arrive a little apart', async () => {
    const batches: number[] = [];
    const gc = new GroupCommit<number, number>((items) => (batches.push(items.length), [...items]), { delayMs: 30 });
    const first = gc.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([first, gc.submit(2)]);
    expect(batches).toEqual([2]);
  });

  it('retries each caller alone when a shared commit fails, so only the bad one fails', async () => {
    const warnings: string[] = [];
    const gc = new GroupCommit<number, number>(
      (items) => {
        if (items.includes(13)) throw new Error('constraint failed');
        return [...items];
      },
      { delayMs: 0, logger: { warn: (_obj, msg) => warnings.push(msg) } },
    );
    const settled = await Promise.allSettled([gc.submit(1), gc.submit(13), gc.submit(2)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(warnings).toHaveLength(1);
  });

  it('fails every caller at once when the store is unavailable', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(
      () => {
        calls += 1;
        throw new StoreUnavailableError('disk full');
      },
      { delayMs: 0 },
    );
    const settled = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    expect(settled.every((s) => s.status === 'rejected' && s.reason instanceof StoreUnavailableError)).toBe(true);
    expect(calls).toBe(1);
  });

  it('flushes at once on demand', async () => {
    const gc = new GroupCommit<number, number>((items) => [...items], { delayMs: 60_000 });
    const waiting = gc.submit(7);
    expect(gc.pending).toBe(1);
    gc.flush();
    expect(await waiting).toBe(7);
    expect(gc.pending).toBe(0);
  });
});
