import { afterEach, describe, expect, it } from 'vitest';
import { createExport, deliveredIds, event, feedKeys, waitFor, useStack } from './harness.js';

/**
 * Delivery under faults: mParticle's 5xx, timeouts, 429s, a refused batch. Nothing may be lost, and nothing may
 * arrive twice except what mParticle's dedup on source_request_id covers (the sandbox stores a batch once).
 */

// A short request timeout so that the latency fault turns into timeouts.
const stack = useStack({ env: { CURRENTS_MPARTICLE_TIMEOUT_MS: '400' } });

afterEach(async () => {
  await stack.sandbox.clearFaults();
});

const TYPE = 'users.messages.email.Send';

const exportTo = (keys: Record<string, { key: string; secret: string }>): Promise<string> =>
  createExport(stack.service, stack.sandbox, keys, {
    name: 'faults',
    events: [TYPE, 'users.messages.pushnotification.Send'],
    merge_batches: false,
  });

function users(n: number, tag: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => event(TYPE, `${tag}-${i}`));
}

async function push(events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100)
    expect((await stack.service.push(events.slice(i, i + 100))).status).toBe(200);
}

/** Wait until every event is in the sandbox, then check none arrived twice. */
async function expectAllOnce(key: string, events: Record<string, unknown>[]): Promise<void> {
  const ids = await waitFor(
    async () => {
      const got = await deliveredIds(stack.sandbox, [key]);
      return events.every((e) => got.has(e.id as string)) ? got : undefined;
    },
    `${events.length} events at ${key}`,
    30_000,
  );
  const twice = [...ids].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
  expect(ids.size).toBe(events.length);
}

describe('delivery under faults', () => {
  it('rides out a 5xx storm: every event arrives once', async () => {
    const keys = feedKeys('storm', ['unbound']);
    const id = await exportTo(keys);
    await stack.sandbox.faults({ errorRate: 0.6 });
    const events = users(300, 'storm');
    await push(events);
    await new Promise((r) => setTimeout(r, 1500));
    const during = await stack.service.api<{ feeds: { state: string }[] }>('GET', `/v1/exports/${id}/status`);
    expect(['retrying', 'flowing']).toContain(during.body.feeds[0]!.state);
    await stack.sandbox.clearFaults();
    await expectAllOnce(keys.unbound!.key, events);
    const stats = await stack.sandbox.stats();
    expect((stats.requests['500'] ?? 0) + (stats.requests['503'] ?? 0)).toBeGreaterThan(0);
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('rides out timeouts: batches resent after a timeout are recognised by their source_request_id', async () => {
    const keys = feedKeys('slow', ['unbound']);
    const id = await exportTo(keys);
    const before = (await stack.sandbox.stats()).batches.duplicate;
    await stack.sandbox.faults({ latencyMs: 700 });
    const events = users(50, 'slow');
    await push(events);
    await new Promise((r) => setTimeout(r, 2500));
    await stack.sandbox.clearFaults();
    await expectAllOnce(keys.unbound!.key, events);
    // The slow requests were taken by the sandbox after the service gave up on them: their resends were duplicates.
    expect((await stack.sandbox.stats()).batches.duplicate).toBeGreaterThan(before);
    await stack.service.api('DELETE', `/v1/exports/${id}`);
    // Requests the service gave up on are still inside the sandbox's injected latency: let them land before the
    // next test sets its faults (they would take a forced 429 meant for it).
    await new Promise((r) => setTimeout(r, 1000));
  });

  it.each([
    ['with Retry-After', 1],
    ['without Retry-After', null],
  ] as const)('waits out 429s %s and delivers everything once', async (_name, retryAfterSeconds) => {
    const keys = feedKeys('limited', ['unbound']);
    const id = await exportTo(keys);
    await stack.sandbox.faults({ rateLimited: { count: 4, retryAfterSeconds } });
    const events = users(120, 'limited');
    await push(events);
    await expectAllOnce(keys.unbound!.key, events);
    const metrics = await (await fetch(`${stack.service.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`currents_delivery_rate_limited_total\\{export="${id}",feed="unbound"\\} [1-9]`),
    );
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('isolates a refused batch: it is dead-lettered with mParticle error text, its neighbours arrive, a retry delivers it', async () => {
    const keys = feedKeys('poison', ['unbound']);
    const id = await exportTo(keys);
    await stack.sandbox.faults({ poison: ['poisoned-user'] });
    const events = users(60, 'fine');
    const bad = event(TYPE, 'poisoned-user');
    events.splice(30, 0, bad);
    await push(events);
    const neighbours = events.filter((e) => e !== bad);
    await expectAllOnce(keys.unbound!.key, neighbours);
    const letters = await waitFor(async () => {
      const r = await stack.service.api<{
        total: number;
        dead_letters: {
          id: number;
          error: string;
          event_ids: string[];
          batch: { user_identities: Record<string, string> };
        }[];
      }>('GET', `/v1/exports/${id}/dead-letters`);
      return r.body.total === 1 ? r.body.dead_letters : undefined;
    }, 'one dead letter');
    expect(letters[0]!.event_ids).toEqual([bad.id]);
    expect(letters[0]!.error).toContain('poisoned-user');
    expect(letters[0]!.batch.user_identities.customer_id).toBe('poisoned-user');
    const traced = async (e: Record<string, unknown>) =>
      (
        await stack.service.api<{ exports: { export_id: string; fate: string; dead_letters: { id: number }[] }[] }>(
          'GET',
          `/v1/events/${e.id as string}`,
        )
      ).body.exports.find((x) => x.export_id === id)!;
    expect(await traced(bad)).toMatchObject({ fate: 'dead_lettered', dead_letters: [{ id: letters[0]!.id }] });
    expect((await traced(neighbours[0]!)).fate).toBe('delivered');

    // Still refused: the retry reports the error and keeps the letter.
    const again = await stack.service.api<{ delivered: number; failed: { error: string }[] }>(
      'POST',
      `/v1/exports/${id}/dead-letters/${letters[0]!.id}/retry`,
    );
    expect(again.body.delivered).toBe(0);
    expect(again.body.failed[0]!.error).toContain('poisoned-user');

    await stack.sandbox.clearFaults();
    const retried = await stack.service.api<{ delivered: number }>('POST', `/v1/exports/${id}/dead-letters/retry`, {});
    expect(retried.body.delivered).toBe(1);
    expect((await deliveredIds(stack.sandbox, [keys.unbound!.key])).get(bad.id as string)).toBe(1);
    expect((await traced(bad)).fate).toBe('delivered');
    const st = await stack.service.api<{
      event_types: { type: string; delivered: number; dead_lettered: number }[];
      dead_letters: number;
    }>('GET', `/v1/exports/${id}/status`);
    expect(st.body.dead_letters).toBe(0);
    expect(st.body.event_types.find((t) => t.type === TYPE)).toMatchObject({ delivered: 61, dead_lettered: 0 });
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('replays a time range with a new generation that mParticle does not swallow as a duplicate', async () => {
    const keys = feedKeys('replay', ['unbound']);
    const id = await exportTo(keys);
    const t = Math.floor(Date.now() / 1000) - 3600;
    const inRange = Array.from({ length: 10 }, (_, i) => event(TYPE, `replay-${i}`, { time: t + i }));
    const outside = Array.from({ length: 5 }, (_, i) => event(TYPE, `replay-old-${i}`, { time: t - 7200 + i }));
    await push([...inRange, ...outside]);
    await expectAllOnce(keys.unbound!.key, [...inRange, ...outside]);
    const res = await stack.service.api<{ generation: number }>('POST', `/v1/exports/${id}/replay`, {
      from: new Date((t - 10) * 1000).toISOString(),
      to: new Date((t + 100) * 1000).toISOString(),
    });
    expect(res.status).toBe(202);
    expect(res.body.generation).toBe(1);
    const ids = await waitFor(async () => {
      const got = await deliveredIds(stack.sandbox, [keys.unbound!.key]);
      return inRange.every((e) => got.get(e.id as string) === 2) ? got : undefined;
    }, 'the replayed range to arrive a second time');
    for (const e of outside) expect(ids.get(e.id as string)).toBe(1);
    await waitFor(async () => {
      const st = await stack.service.api<{ replays: { finished_at: string | null }[] }>(
        'GET',
        `/v1/exports/${id}/status`,
      );
      return st.body.replays[0]?.finished_at !== null;
    }, 'the replay to finish');
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('sends data older than 30 days to the historical endpoint and says so', async () => {
    const keys = feedKeys('historical', ['unbound']);
    const id = await exportTo(keys);
    const old = Math.floor(Date.now() / 1000) - 40 * 86_400;
    const events = [event(TYPE, 'h-1', { time: old }), event(TYPE, 'h-2', { time: old + 1 }), event(TYPE, 'h-3')];
    await push(events);
    await expectAllOnce(keys.unbound!.key, events);
    const st = await waitFor(async () => {
      const r = await stack.service.api<{ totals: { historical: number }; warnings: string[] }>(
        'GET',
        `/v1/exports/${id}/status`,
      );
      return r.body.totals.historical === 2 ? r.body : undefined;
    }, 'two historical events counted');
    expect(st.warnings.join(' ')).toContain('/v2/bulkevents/historical');
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('pausing holds the cursor; resuming sends what waited', async () => {
    const keys = feedKeys('pause', ['unbound']);
    const id = await exportTo(keys);
    expect((await stack.service.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
    const events = users(20, 'paused');
    await push(events);
    await new Promise((r) => setTimeout(r, 800));
    expect((await deliveredIds(stack.sandbox, [keys.unbound!.key])).size).toBe(0);
    const st = await stack.service.api<{ feeds: { state: string; backlog_events: number }[] }>(
      'GET',
      `/v1/exports/${id}/status`,
    );
    expect(st.body.feeds[0]).toMatchObject({ state: 'paused', backlog_events: 20 });
    expect((await stack.service.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);
    await expectAllOnce(keys.unbound!.key, events);
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });
});
