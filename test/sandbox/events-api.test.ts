import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/server.js';
import { basic, batch, call, Clock, FEED, sandbox } from './helpers.js';

let sb: SandboxHandle | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

interface Stored {
  key: string;
  received_at: number;
  batch: { source_request_id?: string; user_identities: Record<string, string> };
}

async function stored(url: string, query = ''): Promise<Stored[]> {
  return (await call(`${url}/sandbox/batches${query}`, 'GET')).json() as Stored[];
}

describe('sandbox Events API', () => {
  it('answers 401 without credentials and 403 for an unknown key or a wrong secret', async () => {
    sb = await sandbox();
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [], null)).status).toBe(401);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [], 'Bearer x')).status).toBe(401);
    const unknown = await call(`${sb.url}/v2/bulkevents`, 'POST', [], basic('other', FEED.secret));
    expect(unknown.status).toBe(403);
    expect(unknown.json()).toEqual({ errors: [{ code: 'FORBIDDEN', message: expect.any(String) }] });
    expect((await call(`${sb.url}/v2/events`, 'POST', batch(), basic(FEED.key, 'wrong'))).status).toBe(403);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [])).status).toBe(202);
  });

  it('refuses an invalid batch on /v2/events with 400 and mParticle’s error body', async () => {
    sb = await sandbox();
    const bad = { ...batch(), environment: 'staging' };
    const reply = await call(`${sb.url}/v2/events`, 'POST', bad);
    expect(reply.status).toBe(400);
    const body = reply.json() as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('BAD_REQUEST');
    expect(body.errors[0]?.message).toMatch(/environment/);
    expect(await stored(sb.url)).toEqual([]);
    expect((await call(`${sb.url}/v2/events`, 'POST', batch())).status).toBe(202);
    expect(await stored(sb.url)).toHaveLength(1);
  });

  it('answers 202 to a bulk request with one invalid batch, storing only the valid ones', async () => {
    sb = await sandbox();
    const good = [batch({ user: 'a' }), batch({ user: 'c' })];
    const bad = { ...batch({ user: 'b' }), user_identities: { customerid: 'b' } };
    const reply = await call(`${sb.url}/v2/bulkevents`, 'POST', [good[0], bad, good[1]]);
    expect(reply.status).toBe(202);
    expect(reply.headers.get('x-mp-rate-limit-percentage-used')).not.toBeNull();
    expect((await stored(sb.url)).map((s) => s.batch.user_identities.customer_id)).toEqual(['a', 'c']);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as {
      batches: Record<string, number>;
      events: { accepted: number };
      recentRejections: { error: string }[];
    };
    expect(stats.batches).toEqual({ accepted: 2, rejected: 1, duplicate: 0 });
    expect(stats.events.accepted).toBe(2);
    expect(stats.recentRejections[0]?.error).toMatch(/additional/);
  });

  it('answers 400 to a body that is not JSON, not an array, or over 100 batches', async () => {
    sb = await sandbox();
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', '{not json')).status).toBe(400);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', batch())).status).toBe(400);
    expect((await call(`${sb.url}/v2/events`, 'POST', [batch()])).status).toBe(400);
    const many = Array.from({ length: 101 }, () => batch());
    const reply = await call(`${sb.url}/v2/bulkevents`, 'POST', many);
    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(/at most 100/);
  });

  it('answers 413 to a request of 256 KB or more, and accepts one just under', async () => {
    sb = await sandbox();
    const big = batch({ pad: 300 * 1024 });
    const reply = await call(`${sb.url}/v2/bulkevents`, 'POST', [big]);
    expect(reply.status).toBe(413);
    expect(reply.text).toMatch(/REQUEST_TOO_LARGE/);
    const base = JSON.stringify([batch({ pad: 0 })]).length;
    const justUnder = [batch({ pad: 256 * 1024 - 1 - base })];
    expect(JSON.stringify(justUnder).length).toBe(256 * 1024 - 1);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', justUnder)).status).toBe(202);
    const exactly = [batch({ pad: 256 * 1024 - base })];
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', exactly)).status).toBe(413);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as { requests: Record<string, number> };
    expect(stats.requests).toEqual({ '202': 1, '413': 2 });
  });

  it('rate-limits batches per second per key with 429, Retry-After and the scope header', async () => {
    const clock = new Clock(Date.UTC(2026, 0, 1, 0, 0, 0, 200));
    sb = await sandbox({ rateLimit: 10, now: clock.now, feeds: [FEED, { key: 'k2', secret: 's2' }] });
    const first = await call(
      `${sb.url}/v2/bulkevents`,
      'POST',
      Array.from({ length: 6 }, () => batch()),
    );
    expect(first.status).toBe(202);
    expect(first.headers.get('x-mp-rate-limit-percentage-used')).toBe('60');
    const over = await call(
      `${sb.url}/v2/bulkevents`,
      'POST',
      Array.from({ length: 5 }, () => batch()),
    );
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(over.headers.get('x-mp-rate-limit-exceeded')).toBeTruthy();
    // Another key has its own budget; the next second starts afresh.
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [batch()], basic('k2', 's2'))).status).toBe(202);
    clock.ms += 1000;
    expect(
      (
        await call(
          `${sb.url}/v2/bulkevents`,
          'POST',
          Array.from({ length: 5 }, () => batch()),
        )
      ).status,
    ).toBe(202);
  });

  it('sends no 429 with the rate limit off, and reports 0% used', async () => {
    sb = await sandbox({ rateLimit: null });
    for (let i = 0; i < 5; i += 1) {
      const reply = await call(
        `${sb.url}/v2/bulkevents`,
        'POST',
        Array.from({ length: 100 }, () => batch()),
      );
      expect(reply.status).toBe(202);
      expect(reply.headers.get('x-mp-rate-limit-percentage-used')).toBe('0');
    }
  });

  it('accepts a batch seen before on the same key without storing it again', async () => {
    sb = await sandbox({ feeds: [FEED, { key: 'k2', secret: 's2' }] });
    const once = batch({ requestId: 'same-id' });
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [once])).status).toBe(202);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [once, batch({ requestId: null })])).status).toBe(202);
    expect((await call(`${sb.url}/v2/events`, 'POST', once)).status).toBe(202);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [once], basic('k2', 's2'))).status).toBe(202);
    expect((await stored(sb.url)).map((s) => [s.key, s.batch.source_request_id])).toEqual([
      ['ios-key', 'same-id'],
      ['ios-key', undefined],
      ['k2', 'same-id'],
    ]);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as {
      batches: Record<string, number>;
      keys: Record<string, { batches: Record<string, number> }>;
    };
    expect(stats.batches).toEqual({ accepted: 3, rejected: 0, duplicate: 2 });
    expect(stats.keys['ios-key']?.batches.duplicate).toBe(2);
  });

  it('takes on the historical endpoint only batches whose events are at least 72 hours old', async () => {
    const clock = new Clock(Date.UTC(2026, 0, 10));
    sb = await sandbox({ now: clock.now });
    const old = batch({ user: 'old', timeMs: clock.ms - 73 * 3600 * 1000 });
    const recent = batch({ user: 'recent', timeMs: clock.ms - 71 * 3600 * 1000 });
    const reply = await call(`${sb.url}/v2/bulkevents/historical`, 'POST', [old, recent]);
    expect(reply.status).toBe(202);
    expect((await stored(sb.url)).map((s) => s.batch.user_identities.customer_id)).toEqual(['old']);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as { recentRejections: { error: string }[] };
    expect(stats.recentRejections[0]?.error).toMatch(/72 hours/);
  });
});

describe('sandbox read and control API', () => {
  it('lists accepted batches in arrival order, filtered by key and time, and clears them', async () => {
    const clock = new Clock(1_000_000);
    sb = await sandbox({ now: clock.now, feeds: [FEED, { key: 'k2', secret: 's2' }] });
    await call(`${sb.url}/v2/bulkevents`, 'POST', [batch({ user: 'a' }), batch({ user: 'b' })]);
    clock.ms += 500;
    await call(`${sb.url}/v2/events`, 'POST', batch({ user: 'c' }), basic('k2', 's2'));
    const all = await stored(sb.url);
    expect(all.map((s) => [s.key, s.received_at, s.batch.user_identities.customer_id])).toEqual([
      ['ios-key', 1_000_000, 'a'],
      ['ios-key', 1_000_000, 'b'],
      ['k2', 1_000_500, 'c'],
    ]);
    expect((await stored(sb.url, '?key=k2')).map((s) => s.batch.user_identities.customer_id)).toEqual(['c']);
    expect((await stored(sb.url, '?since=1000001')).map((s) => s.batch.user_identities.customer_id)).toEqual(['c']);
    expect((await call(`${sb.url}/sandbox/batches`, 'DELETE')).status).toBe(204);
    expect(await stored(sb.url)).toEqual([]);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as {
      batches: { accepted: number };
      requests: Record<string, number>;
      keys: Record<string, { requests: Record<string, number> }>;
    };
    expect(stats.batches.accepted).toBe(3);
    expect(stats.requests).toEqual({ '202': 2 });
    expect(stats.keys.k2?.requests).toEqual({ '202': 1 });
  });

  it('keeps only the newest batches past the store limit while counting all', async () => {
    sb = await sandbox({ storeLimit: 5, rateLimit: null });
    for (let i = 0; i < 3; i += 1) {
      await call(
        `${sb.url}/v2/bulkevents`,
        'POST',
        [0, 1, 2, 3].map((j) => batch({ user: `u${i * 4 + j}` })),
      );
    }
    expect((await stored(sb.url)).map((s) => s.batch.user_identities.customer_id)).toEqual([
      'u7',
      'u8',
      'u9',
      'u10',
      'u11',
    ]);
    const stats = (await call(`${sb.url}/sandbox/stats`, 'GET')).json() as { batches: { accepted: number } };
    expect(stats.batches.accepted).toBe(12);
  });

  it('adds and changes feeds through POST /sandbox/feeds, never echoing the secret', async () => {
    sb = await sandbox();
    const added = await call(`${sb.url}/sandbox/feeds`, 'POST', { key: 'new-key', secret: 'new-secret' });
    expect(added.status).toBe(200);
    expect(added.text).not.toContain('new-secret');
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [], basic('new-key', 'new-secret'))).status).toBe(202);
    await call(`${sb.url}/sandbox/feeds`, 'POST', { key: 'new-key', secret: 'rotated' });
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [], basic('new-key', 'new-secret'))).status).toBe(403);
    expect((await call(`${sb.url}/v2/bulkevents`, 'POST', [], basic('new-key', 'rotated'))).status).toBe(202);
    expect((await call(`${sb.url}/sandbox/feeds`, 'POST', { key: 'x' })).status).toBe(400);
    expect((await call(`${sb.url}/sandbox/feeds`, 'POST', 'nope')).status).toBe(400);
  });
});
