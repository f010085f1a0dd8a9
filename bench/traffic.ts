import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { sleep, startChild, type Child } from './lib.js';

/** The traffic of the end-to-end and scale benchmarks: realistic Currents events, pushed and counted. */

export const ADMIN = 'bench-admin-token-0123456789';
export const INGEST = 'bench-ingest-token-0123456789';
export const TYPES = [
  'users.messages.email.Send',
  'users.messages.email.Open',
  'users.messages.pushnotification.Send',
  'users.messages.pushnotification.Open',
  'users.messages.sms.Delivery',
];

let seq = 0;
/** Distinct users the traffic is spread over (--users): fewer users means more events of one user read together. */
let users = 50_000;
export function setUsers(n: number): void {
  users = n;
}
/** One event; its user is the next in turn unless `userIndex` names one (0 … users-1), its type likewise. */
export function makeEvent(now: number, userIndex?: number, eventType?: string): Record<string, unknown> {
  seq += 1;
  const u = userIndex ?? seq % users;
  const user = `user-${u}`;
  const type = eventType ?? TYPES[Math.floor(seq / 7) % TYPES.length]!;
  return {
    event_type: type,
    id: randomUUID(),
    time: Math.floor(now / 1000),
    user: { user_id: `braze-${user}`, external_user_id: user, timezone: 'Europe/Madrid' },
    properties: {
      app_id: 'app-ios-1',
      platform: 'ios',
      // One device per user, as in real data: a user's events share an envelope and can travel in one batch.
      device_id: `00000000-0000-4000-8000-${String(u).padStart(12, '0')}`,
      campaign_id: 'campaign-0042',
      campaign_name: 'Spring launch: returning customers, second wave',
      message_variation_id: 'variation-0001',
      message_variation_name: 'Variant A with the long subject line',
      canvas_id: 'canvas-7788',
      canvas_name: 'Onboarding journey for new subscribers',
      canvas_step_id: 'step-12',
      canvas_step_name: 'Day 3 reminder',
      canvas_variation_id: 'cv-1',
      canvas_variation_name: 'Control',
      send_id: `send-${seq % 1000}`,
      dispatch_id: `dispatch-${seq % 5000}`,
      email_address: `${user}@example.com`,
      to_phone_number: '+15555550100',
      subscription_group_id: 'sg-1',
      app_group_id: 'workspace-1',
      os_version: 'iOS 17.4',
      device_model: 'iPhone15,2',
      ip_pool: 'pool-a',
      message_extras: '{"coupon":"SPRING24","segment":"returning"}',
    },
  };
}

export async function api(service: Child, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function sandboxStats(sandbox: Child): Promise<{ events: number; batches: number }> {
  const s = (await (await fetch(`${sandbox.url}/sandbox/stats`)).json()) as {
    events: { accepted: number };
    batches: { accepted: number };
  };
  return { events: s.events.accepted, batches: s.batches.accepted };
}

export async function pushRequest(pool: Pool, events: Record<string, unknown>[]): Promise<void> {
  for (;;) {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/currents',
      headers: {
        authorization: `Bearer ${INGEST}`,
        'content-type': 'application/json',
        'braze-currents-version': '1',
      },
      body: JSON.stringify({ events }),
    });
    await res.body.dump();
    if (res.statusCode === 200) return;
    if (res.statusCode !== 503) throw new Error(`push answered ${res.statusCode}`);
    await sleep(100);
  }
}

/** Push `total` events, 100 a request, `concurrency` requests at a time. */
export async function pushAll(pool: Pool, total: number, concurrency = 16): Promise<void> {
  let left = Math.ceil(total / 100);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        const now = Date.now();
        await pushRequest(
          pool,
          Array.from({ length: 100 }, () => makeEvent(now)),
        );
      }
    }),
  );
}

export async function waitDelivered(sandbox: Child, total: number, timeoutMs = 900_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await sandboxStats(sandbox)).events < total) {
    if (Date.now() > until) throw new Error('delivery did not finish in time');
    await sleep(50);
  }
}

export interface Setup {
  service: Child;
  sandbox: Child;
  exportId: string;
  pool: Pool;
  dataDir: string;
}

/**
 * A sandbox (rate limit off) and the service on a fresh data folder, with one export of the benchmark's types sending
 * to the sandbox; `env` adds settings to the service's environment.
 */
export async function setup(
  opts: { paused?: boolean; env?: Record<string, string>; events?: readonly string[] } = {},
): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'currents-bench-e2e-'));
  const sandbox = await startSandbox(['--store-limit', '400000']);
  let service: Child | undefined;
  let pool: Pool | undefined;
  try {
    service = await startChild(['serve', '--port', '0', '--data', dataDir], {
      CURRENTS_ADMIN_TOKEN: ADMIN,
      CURRENTS_INGEST_TOKEN: INGEST,
      CURRENTS_IDLE_POLL_MS: '50',
      ...(process.env.BENCH_READ_CHUNK ? { CURRENTS_READ_CHUNK: process.env.BENCH_READ_CHUNK } : {}),
      ...opts.env,
    });
    pool = new Pool(service.url, { connections: 16, pipelining: 1 });
    const exportId = await createExport(service, sandbox.url, opts);
    return { service, sandbox, exportId, pool, dataDir };
  } catch (e) {
    // A service that could not start (its error is in `e`) must not leave the sandbox running: it would hold the
    // benchmark's stderr open, and a pipe after the benchmark would wait for ever.
    await pool?.close();
    await Promise.all([service?.stop(), sandbox.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

export async function teardown(s: Setup): Promise<void> {
  await s.pool.close();
  await Promise.all([s.service.stop(), s.sandbox.stop()]);
  rmSync(s.dataDir, { recursive: true, force: true });
}

/** The sandbox as the benchmarks run it: rate limit off, the benchmark's key. */
export function startSandbox(extra: string[] = []): Promise<Child> {
  return startChild(['sandbox', '--port', '0', '--rate-limit', 'off', '--feed', 'bench-key:bench-secret', ...extra]);
}

/** Batches the sandbox accepted, and each pushed event's time from its push (`pushedAt`, by id) to its batch. */
export async function deliveryLatencies(
  sandbox: Child,
  pushedAt: ReadonlyMap<string, number>,
): Promise<{ batches: number; latencies: number[] }> {
  const batches = (await (await fetch(`${sandbox.url}/sandbox/batches`)).json()) as {
    received_at: number;
    batch: { events: { data: { custom_attributes: { source_request_id: string } } }[] };
  }[];
  const latencies: number[] = [];
  for (const b of batches) {
    for (const e of b.batch.events) {
      const at = pushedAt.get(e.data.custom_attributes.source_request_id);
      if (at !== undefined) latencies.push(b.received_at - at);
    }
  }
  return { batches: batches.length, latencies };
}

/** The benchmarks' export: their types (or `events`), one unbound key, no rate limit; paused if asked. */
export async function createExport(
  service: Child,
  baseUrl: string,
  opts: { paused?: boolean; events?: readonly string[] } = {},
): Promise<string> {
  const created = (await api(service, 'POST', '/v1/exports', {
    name: 'bench',
    contact_email: 'bench@example.com',
    destination: { base_url: baseUrl },
    environment: 'development',
    feeds: { unbound: { key: 'bench-key', secret: 'bench-secret' } },
    events: opts.events ?? TYPES,
    rate_limit: 0,
  })) as { id: string };
  if (opts.paused) await api(service, 'POST', `/v1/exports/${created.id}/pause`);
  return created.id;
}
