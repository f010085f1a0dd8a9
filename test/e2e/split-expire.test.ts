import { describe, expect, it } from 'vitest';
import { account, receivedIds, settle, statusOf, summary, unsettledPartitions } from './accounting.js';
import { createExport, event, feedKeys, useStack, waitFor } from './harness.js';

/**
 * A request refused with 400 is split to find the bad batch; when a later half then keeps failing (5xx) until its
 * events have waited the hold window, only that half may be dropped. What mParticle already accepted of the request
 * counts as delivered, and the batch already isolated and refused counts as dead-lettered (and is kept as a dead
 * letter). Counting the whole original request as dropped would say that delivered events were lost, and lose the
 * dead letter.
 *
 * How the sandbox is driven: one partition, so the ten events travel in one request; 1.5 s of latency, so the service's
 * attempts reach the sandbox one after another; a poison identity refuses (400) every request holding the third
 * event's batch. The splits go: all ten (400), the first five (400), the first three (400), the first two (202),
 * the third alone (400: dead-lettered), the fourth and fifth (202), and then the last five, which is answered with
 * 5xx from the moment the sandbox has accepted its second request until they expire. The hold window is
 * 0.0005 hours (1.8 s): `hold_window_hours` accepts any positive number.
 */

const stack = useStack({ env: { CURRENTS_PARTITIONS: '1' } });

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.email.Open';
/** Wide enough for the test to see the second 202 and set the 5xx fault before the next request is answered. */
const LATENCY_MS = 1500;

/** The sandbox's counters, per feed key too (GET /sandbox/stats). */
async function sandboxStats(): Promise<{ keys: Record<string, { requests: Record<string, number> }> }> {
  return (await (await fetch(`${stack.sandbox.url}/sandbox/stats`)).json()) as never;
}

describe('a split request whose later half expires', { timeout: 120_000 }, () => {
  it('counts the accepted half as delivered, the refused batch as dead-lettered, and drops only the rest', async () => {
    const keys = feedKeys('split-expire', ['unbound']);
    const key = keys.unbound!.key;
    const id = await createExport(stack.service, stack.sandbox, keys, {
      name: 'split then expire',
      events: [SEND, OPEN],
      merge_batches: false,
      rate_limit: 0,
      hold_window_hours: 0.0005,
    });
    const poisoned = `split-poisoned-${key}`;
    await stack.sandbox.faults({ latencyMs: LATENCY_MS, poison: [poisoned] });
    // Sends first (one of them refused), then Opens: drops are recorded per type, so a drop of Opens says nothing
    // about the Sends.
    const sends = Array.from({ length: 5 }, (_, i) => event(SEND, i === 2 ? poisoned : `split-user-${i}`));
    const opens = Array.from({ length: 5 }, (_, i) => event(OPEN, `split-user-${i + 5}`));
    const all = [...sends, ...opens];
    expect((await stack.service.push(all)).status).toBe(200);

    // The sandbox has accepted the first two and then the fourth and fifth: from now on every request fails.
    await waitFor(
      async () => ((await sandboxStats()).keys[key]?.requests['202'] ?? 0) >= 2,
      'the sandbox to accept the two clean parts of the first half',
      20_000,
    );
    await stack.sandbox.faults({ errorRate: 1 });
    // The last five fail until they have waited the hold window, then the chunk is committed.
    const { settled, status } = await settle(stack.service, id, 60_000);
    await stack.sandbox.clearFaults();
    expect(settled, `the feed settles: ${unsettledPartitions(status).join('; ')}`).toBe(true);

    const got = await receivedIds(stack.sandbox, [key]);
    const accepted = all.filter((e) => got.has(e.id as string)).map((e) => e.id);
    // The sandbox did take the clean part of the first half, once each.
    expect(accepted).toEqual([sends[0]!.id, sends[1]!.id, sends[3]!.id, sends[4]!.id]);

    const a = await account(stack.service, stack.sandbox, id, [key], all);
    const final = await statusOf(stack.service, id);
    const byType = (type: string) => final.event_types.find((t) => t.type === type)!;
    const facts = `${summary(a)}; Send ${JSON.stringify(byType(SEND))}; Open ${JSON.stringify(byType(OPEN))}`;
    // Every event is accounted for exactly once, and what mParticle accepted is not called dropped.
    expect.soft(a.counted, `counters add up to what was pushed: ${facts}`).toBe(all.length);
    expect.soft(a.totals.delivered, `accepted events count as delivered: ${facts}`).toBe(4);
    expect.soft(a.totals.dead_lettered, `the refused batch counts as dead-lettered: ${facts}`).toBe(1);
    expect.soft(a.totals.dropped, `only the expired half counts as dropped: ${facts}`).toBe(5);
    expect.soft(byType(SEND), `Sends: 4 delivered, 1 dead-lettered, none dropped: ${facts}`).toMatchObject({
      delivered: 4,
      dead_lettered: 1,
      dropped: 0,
    });
    expect.soft(byType(OPEN), `Opens: all 5 dropped: ${facts}`).toMatchObject({ delivered: 0, dropped: 5 });
    expect.soft(a.deadLettered, `the refused batch is kept as a dead letter: ${facts}`).toEqual([sends[2]!.id]);
    // The traces agree with the sandbox: accepted Sends are delivered (no drop of Sends covers them), the poisoned
    // one is dead-lettered.
    expect.soft(a.receivedTracedOtherwise, `traces of accepted events: ${facts}`).toEqual([]);
    const fates: Record<string, string> = {};
    for (const e of sends) {
      const res = await stack.service.api<{ exports: { export_id: string; fate: string }[] }>(
        'GET',
        `/v1/events/${e.id as string}`,
      );
      fates[e.external_user_id as string] = res.body.exports.find((x) => x.export_id === id)!.fate;
    }
    expect.soft(fates, `traces of the Sends: ${facts}`).toEqual({
      'split-user-0': 'delivered',
      'split-user-1': 'delivered',
      [poisoned]: 'dead_lettered',
      'split-user-3': 'delivered',
      'split-user-4': 'delivered',
    });
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });
});
