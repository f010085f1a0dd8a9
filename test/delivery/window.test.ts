import { describe, expect, it } from 'vitest';
import type { OutRequest } from '../../src/mparticle/index.js';
import type { SendResult } from '../../src/delivery/send.js';
import { Tally } from '../../src/delivery/tally.js';
import { independent, sendInWindow } from '../../src/delivery/window.js';

const sent = (): SendResult => ({ kind: 'sent', tally: new Tally('e', 'f') });
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sendInWindow', () => {
  it('keeps up to `width` requests in flight and counts every one when all are sent', async () => {
    let inFlight = 0;
    let most = 0;
    const r = await sendInWindow(10, 2, 4, async () => {
      most = Math.max(most, ++inFlight);
      await delay(5);
      inFlight--;
      return sent();
    });
    expect(most).toBe(4);
    expect(r).toMatchObject({ end: 10, halted: false });
  });

  it('counts only the run of ended requests from the first: what ended after a held one is sent again later', async () => {
    const r = await sendInWindow(8, 0, 4, async (i) => {
      await delay(i === 2 ? 1 : 10);
      return i === 2 ? { kind: 'held' } : sent();
    });
    expect(r.halted).toBe(true);
    expect(r.end).toBe(2);
    // Request 3 was in flight beside it and was sent, but it is not counted; nothing was launched after the hold.
    expect(r.results[3]?.kind).toBe('sent');
    expect(r.results.slice(4).every((x) => x === undefined)).toBe(true);
  });

  it('sends one at a time with width 1, stopping at the first that cannot be sent', async () => {
    const order: number[] = [];
    const r = await sendInWindow(5, 0, 1, async (i) => {
      order.push(i);
      return i === 3 ? { kind: 'stopped' } : sent();
    });
    expect(order).toEqual([0, 1, 2, 3]);
    expect(r.end).toBe(3);
  });
});

describe('independent', () => {
  const request = (...users: string[]): OutRequest =>
    ({
      path: '/v2/bulkevents',
      body: '',
      bytes: 0,
      batches: users.map((u) => ({ batch: { user_identities: { customer_id: u } } })),
    }) as unknown as OutRequest;

  it('is true when no user has batches in two requests, false otherwise', () => {
    expect(independent([request('a', 'b'), request('c')])).toBe(true);
    expect(independent([request('a', 'a'), request('c')])).toBe(true);
    expect(independent([request('a', 'b'), request('c', 'a')])).toBe(false);
  });
});
