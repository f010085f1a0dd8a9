import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Worker } from 'node:worker_threads';
import { lowMemoryCollection, startIdleRelease } from '../../src/server/idle-memory.js';

/**
 * When the service gives memory back: once per quiet spell that follows work, never while it works, never twice for
 * one spell. The event loop's utilisation is played from a script, one value a tick (fake clock).
 */

const logger = pino({ level: 'silent' });
const TICK = 100;

/** A watcher on `script`; the store's release and the logger can be given (a failing release, a logger to read). */
function watch(script: number[], over: { store?: () => Promise<void>; logger?: pino.Logger } = {}) {
  let i = 0;
  const store = vi.fn(over.store ?? (async () => undefined));
  const heap = vi.fn(async () => undefined);
  const idle = startIdleRelease({
    idleMs: 500,
    tickMs: TICK,
    logger: over.logger ?? logger,
    releaseStore: store,
    releaseHeap: heap,
    // After the script, quiet; the release's own reset call reads a value too.
    utilisation: () => script[i++] ?? 0,
  });
  return { idle, store, heap };
}

describe('idle memory release', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('releases once the loop has been quiet for the idle time after start-up, and only once', async () => {
    const { idle, store, heap } = watch([]);
    await vi.advanceTimersByTimeAsync(TICK * 4);
    expect(store).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(TICK);
    expect(store).toHaveBeenCalledTimes(1);
    expect(heap).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TICK * 50);
    expect(idle.releases).toBe(1);
    await idle.stop();
  });

  it('waits while the service works, and releases again after new work', async () => {
    // Start-up quiet spell (release 1), then 20 busy ticks, then quiet again (release 2).
    const script = [0, 0, 0, 0, 0, 0, ...Array<number>(20).fill(0.5)];
    const { idle, store } = watch(script);
    await vi.advanceTimersByTimeAsync(TICK * 6);
    expect(store).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TICK * 20);
    expect(store).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TICK * 6);
    expect(store).toHaveBeenCalledTimes(2);
    await idle.stop();
  });

  it('does not count light activity as quiet, nor as work', async () => {
    // Idle polling (5%) is quiet; light activity (15%) never completes the idle time, nor starts a new spell.
    const script = [0.05, 0, 0.05, 0, 0.15, 0, 0, 0, 0.15, 0, 0, 0.05, 0, 0, 0.15, 0.15, 0.15];
    const { idle, store } = watch(script);
    await vi.advanceTimersByTimeAsync(TICK * 13);
    expect(store).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(TICK * 4);
    expect(store).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(TICK * 30);
    expect(store).toHaveBeenCalledTimes(1);
    await idle.stop();
  });

  it('a failed release is logged and tried after the next work', async () => {
    const warn = vi.fn();
    const { idle, store: failing } = watch([0, 0, 0, 0, 0, 0, 0.5], {
      store: async () => {
        throw new Error('disk gone');
      },
      logger: { ...logger, warn, debug: vi.fn() } as unknown as pino.Logger,
    });
    await vi.advanceTimersByTimeAsync(TICK * 20);
    expect(failing).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]![1])).toContain('could not give memory back');
    expect(idle.releases).toBe(0);
    await idle.stop();
  });
});

describe('the low-memory collection', () => {
  it("shrinks a worker thread's young generation too (the store thread's, after a burst)", async () => {
    // A thread that allocates as the store thread does while taking events in, and reports its young generation.
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const v8 = require('node:v8');
       parentPort.on('message', (m) => {
         if (m === 'work') {
           let keep = [];
           for (let i = 0; i < 2e6; i++) { keep.push({ row: 'payload ' + i }); if (keep.length > 50000) keep = []; }
         }
         const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
         parentPort.postMessage(young.physical_space_size);
       });`,
      { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 96 } },
    );
    const ask = (m: string) =>
      new Promise<number>((resolve) => {
        worker.once('message', resolve);
        worker.postMessage(m);
      });
    try {
      const MiB = 1024 * 1024;
      const grown = await ask('work');
      expect(grown).toBeGreaterThan(8 * MiB);
      await lowMemoryCollection();
      expect(await ask('stats')).toBeLessThan(2 * MiB);
    } finally {
      await worker.terminate();
    }
  });
});
