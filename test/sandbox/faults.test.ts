import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/server.js';
import { basic, batch, call, Clock, FEED, sandbox } from './helpers.js';

let sb: SandboxHandle | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function bulk(url: string, batches: unknown[] = [batch()], auth?: string | null) {
  return call(`${url}/v2/bulkevents`, 'POST', batches, auth);
}

async function faults(url: string, patch: unknown) {
  return call(`${url}/sandbox/faults`, 'POST', patch);
}

describe('sandbox faults', () => {
  it('answers every request 500 or 503 at error rate 1, none at 0 (flag and control API)', async () => {
    sb = await sandbox({ errorRate: 1 });
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i += 1) statuses.add((await bulk(sb.url)).status);
    expect([...statuses].every((s) => s === 500 || s === 503)).toBe(true);
    expect(statuses.size).toBe(2);
    expect((await faults(sb.url, { errorRate: 0 })).status).toBe(200);
    expect((await bulk(sb.url)).status).toBe(202);
    const stored = (await call(`${sb.url}/sandbox/batches`, 'GET')).json() as unknown[];
    expect(stored).toHaveLength(1);
  });

  it('adds latency to Events API requests', async () => {
    sb = await sandbox({ latencyMs: 300 });
    let started = Date.now();
    expect((await bulk(sb.url)).status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await faults(sb.url, { latencyMs: 0 });
    started = Date.now();
    await bulk(sb.url);
    expect(Date.now() - started).toBeLessThan(290);
  });

  it('answers 503 during an outage, for N seconds or between two times', async () => {
    const clock = new Clock(Date.UTC(2026, 0, 1));
    sb = await sandbox({ now: clock.now });
    await faults(sb.url, { outage: { seconds: 10 } });
    expect((await bulk(sb.url)).status).toBe(503);
    expect((await bulk(sb.url, [], null)).status).toBe(503);
    clock.ms += 10_000;
    expect((await bulk(sb.url)).status).toBe(202);
    await faults(sb.url, { outage: { from: clock.ms + 5000, until: clock.ms + 6000 } });
    expect((await bulk(sb.url)).status).toBe(202);
    clock.ms += 5500;
    expect((await bulk(sb.url)).status).toBe(503);
    await faults(sb.url, { outage: null });
    expect((await bulk(sb.url)).status).toBe(202);
  });

  it('refuses a revoked key with 403 until restored, or for N seconds', async () => {
    const clock = new Clock(Date.UTC(2026, 0, 1));
    sb = await sandbox({ now: clock.now, feeds: [FEED, { key: 'k2', secret: 's2' }] });
    expect((await call(`${sb.url}/sandbox/feeds/${FEED.key}/revoke`, 'POST')).status).toBe(200);
    expect((await bulk(sb.url)).status).toBe(403);
    expect((await bulk(sb.url, [batch()], basic('k2', 's2'))).status).toBe(202);
    clock.ms += 3600_000;
    expect((await bulk(sb.url)).status).toBe(403);
    await call(`${sb.url}/sandbox/feeds/${FEED.key}/restore`, 'POST');
    expect((await bulk(sb.url)).status).toBe(202);

    await call(`${sb.url}/sandbox/feeds/${FEED.key}/revoke`, 'POST', { seconds: 30 });
    expect((await bulk(sb.url)).status).toBe(403);
    clock.ms += 30_000;
    expect((await bulk(sb.url)).status).toBe(202);

    await faults(sb.url, { revoke: { key: 'k2', seconds: 5 } });
    expect((await bulk(sb.url, [], basic('k2', 's2'))).status).toBe(403);
  });

  it('forces 429 with Retry-After for a count of requests, or without Retry-After for N seconds', async () => {
    const clock = new Clock(Date.UTC(2026, 0, 1));
    sb = await sandbox({ now: clock.now });
    await faults(sb.url, { rateLimited: { count: 2, retryAfterSeconds: 7 } });
    for (let i = 0; i < 2; i += 1) {
      const reply = await bulk(sb.url);
      expect(reply.status).toBe(429);
      expect(reply.headers.get('retry-after')).toBe('7');
      expect(reply.headers.get('x-mp-rate-limit-exceeded')).toBeTruthy();
    }
    expect((await bulk(sb.url)).status).toBe(202);

    await faults(sb.url, { rateLimited: { seconds: 2, retryAfterSeconds: null } });
    const noHeader = await bulk(sb.url);
    expect(noHeader.status).toBe(429);
    expect(noHeader.headers.get('retry-after')).toBeNull();
    clock.ms += 2000;
    expect((await bulk(sb.url)).status).toBe(202);
  });

  it('refuses as a whole, with 400 naming it, a bulk request holding a poisoned identity', async () => {
    sb = await sandbox();
    await faults(sb.url, { poison: ['cust-poison'] });
    const reply = await bulk(sb.url, [
      batch({ user: 'ok-1' }),
      batch({ user: 'cust-poison' }),
      batch({ user: 'ok-2' }),
    ]);
    expect(reply.status).toBe(400);
    const body = reply.json() as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('BAD_REQUEST');
    expect(body.errors[0]?.message).toMatch(/batch 1: user_identities.customer_id "cust-poison"/);
    expect((await call(`${sb.url}/sandbox/batches`, 'GET')).json()).toEqual([]);
    // Without the bad batch, the same companions go through.
    expect((await bulk(sb.url, [batch({ user: 'ok-1' }), batch({ user: 'ok-2' })])).status).toBe(202);
  });

  it('shows the faults, clears them all with DELETE, and refuses a malformed fault with 400', async () => {
    sb = await sandbox();
    await faults(sb.url, { errorRate: 0.5, poison: ['p'], rateLimited: { count: 1 } });
    await call(`${sb.url}/sandbox/feeds/${FEED.key}/revoke`, 'POST');
    const shown = (await call(`${sb.url}/sandbox/faults`, 'GET')).json() as Record<string, unknown>;
    expect(shown).toMatchObject({ errorRate: 0.5, poison: ['p'], revoked: { [FEED.key]: null } });
    expect((await call(`${sb.url}/sandbox/faults`, 'DELETE')).status).toBe(200);
    expect((await bulk(sb.url, [batch({ user: 'p' })])).status).toBe(202);
    expect((await faults(sb.url, { errorRate: 2 })).status).toBe(400);
    expect((await faults(sb.url, { unknownFault: true })).status).toBe(400);
  });
});
