import { describe, expect, it } from 'vitest';
import type { OutRequest } from '../../src/mparticle/index.js';
import { independent, sendInWindow } from '../../src/delivery/window.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sendInWindow', () => {
  it('keeps up to `width` requests in flight and sends every one', async () => {
    let inFlight = 0;
    let most = 0;
    const r = await sendInWindow(10, 4, async () => {
      most = Math.max(most, ++inFlight);
      await delay(5);
      inFlight--;
      return 'ended';
    });
    expect(most).toBe(4);
    expect(r.halted).toBe(false);
    expect(r.ends.every((e) => e === 'ended')).toBe(true);
  });

  it('launches nothing after a request that could not end; those under way finish and keep their own end', async () => {
    // Request 2 cannot end; the others under way end after it, on a later turn (not on timers, which a loaded
    // machine may fire in any order).
    let heldSeen!: () => void;
    const afterHeld = new Promise<void>((resolve) => (heldSeen = resolve));
    const r = await sendInWindow(8, 4, async (i) => {
      if (i === 2) {
        heldSeen();
        return 'held';
      }
      await afterHeld;
      await delay(0);
      return 'ended';
    });
    expect(r.halted).toBe(true);
    // Request 3 was in flight beside it and ended: its batches keep their fates (recorded by the sender).
    expect(r.ends.slice(0, 4)).toEqual(['ended', 'ended', 'held', 'ended']);
    expect(r.ends.slice(4).every((x) => x === undefined)).toBe(true);
  });

  it('sends one at a time with width 1, stopping at the first that cannot be sent', async () => {
    const order: number[] = [];
    const r = await sendInWindow(5, 1, async (i) => {
      order.push(i);
      return i === 3 ? 'stopped' : 'ended';
    });
    expect(order).toEqual([0, 1, 2, 3]);
    expect(r.ends[3]).toBe('stopped');
    expect(r.ends[4]).toBeUndefined();
  });
});

describe('independent', () => {
  const request = (...users: string[]): OutRequest =>
    ({
      path: '/v2/bulkevents',
      body: '',
      bytes: 0,
      batches: users.map((u) => ({ user: JSON.stringify({ customer_id: u }) })),
    }) as unknown as OutRequest;

  it('is true when no user has batches in two requests, false otherwise', () => {
    expect(independent([request('a', 'b'), request('c')])).toBe(true);
    expect(independent([request('a', 'a'), request('c')])).toBe(true);
    expect(independent([request('a', 'b'), request('c', 'a')])).toBe(false);
  });
});
