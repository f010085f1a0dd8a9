import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, pgUnavailable, TEST_DATABASE_URL } from '../store/postgres-helper.js';
import { event, feedKeys, startSandbox, startService, waitFor, type Sandbox, type Service } from './harness.js';

/**
 * Scale-out on PostgreSQL: one ingest process and three delivery processes on one database and the sandbox. One
 * delivery process is killed mid-flight: its partitions are taken over within the lease time, every event arrives,
 * order per user holds in what the sandbox recorded, and nothing arrives twice beyond what source_request_id covers.
 */

const LEASE_TTL_MS = 3000;
const schema = freshSchema();
const env = {
  DATABASE_URL: TEST_DATABASE_URL,
  CURRENTS_DATABASE_SCHEMA: schema,
  CURRENTS_SECRET_KEY: 'scale-test-secret-key-0123456789',
  CURRENTS_LEASE_TTL_MS: String(LEASE_TTL_MS),
  CURRENTS_READ_CHUNK: '200',
};

let sandbox: Sandbox;
let ingest: Service;
const deliverers: Service[] = [];

describe.skipIf(pgUnavailable !== null)('several processes on one PostgreSQL', () => {
  beforeAll(async () => {
    sandbox = await startSandbox(['--latency-ms', '15']);
    ingest = await startService({ env: { ...env, CURRENTS_ROLE: 'ingest' } });
    for (let i = 0; i < 3; i++) deliverers.push(await startService({ env: { ...env, CURRENTS_ROLE: 'deliver' } }));
  });

  afterAll(async () => {
    await Promise.all([ingest, ...deliverers, sandbox].map((p) => p?.stop()));
    for (const s of [ingest, ...deliverers]) s?.cleanup();
    await dropSchema(schema);
  });

  it('spreads partitions, survives a killed delivery process, keeps order per user and sends each event once', async () => {
    const keys = feedKeys('scale', ['unbound']);
    await sandbox.addFeed(keys.unbound!.key, keys.unbound!.secret);
    const created = await ingest.api<{ id: string }>('POST', '/v1/exports', {
      name: 'scale',
      contact_email: 'ops@example.com',
      destination: { base_url: sandbox.url },
      feeds: keys,
      events: ['users.messages.email.Send'],
      rate_limit: 0,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;

    interface Status {
      feeds: { partitions: { partition: number; owner: string | null }[] }[];
      totals: { delivered: number };
    }
    // Every process answers the API the same way; the status says who sends which partition.
    const owners = async (from: Service) => {
      const s = (await from.api<Status>('GET', `/v1/exports/${id}/status`)).body;
      return s.feeds[0]!.partitions.map((p) => p.owner);
    };
    const spread = await waitFor(
      async () => {
        const o = await owners(deliverers[1]!);
        return o.every((x) => x !== null) && new Set(o).size === 3 ? o : undefined;
      },
      'the 16 partitions to be spread over the three delivery processes',
      30_000,
    );
    const counts = [...new Set(spread)].map((owner) => spread.filter((x) => x === owner).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);

    // 150 users × 24 events, each user's events in time order, pushed in six waves.
    const base = Math.floor(Date.now() / 1000) - 3600;
    const all: Record<string, unknown>[] = [];
    for (let wave = 0; wave < 6; wave++) {
      const batch: Record<string, unknown>[] = [];
      for (let u = 0; u < 150; u++) {
        for (let k = 0; k < 4; k++) {
          batch.push(event('users.messages.email.Send', `scale-user-${u}`, { time: base + wave * 4 + k }));
        }
      }
      for (let i = 0; i < batch.length; i += 100) expect((await ingest.push(batch.slice(i, i + 100))).status).toBe(200);
      all.push(...batch);
      if (wave === 2) {
        // Mid-flight: kill one delivery process without warning.
        const victim = deliverers[0]!;
        const victimPid = victim.proc.pid!;
        await victim.stop('SIGKILL');
        const killedAt = Date.now();
        await waitFor(
          async () => {
            const o = await owners(ingest);
            return o.every((x) => x !== null && !x.includes(`:${victimPid}:`)) ? o : undefined;
          },
          'the killed process partitions to be taken over',
          20_000,
        );
        // Taken over within the lease time (plus one renewal round and the polling of this test).
        expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS * 2 + 2000);
      }
    }

    const received = await waitFor(
      async () => {
        const batches = await sandbox.batches(keys.unbound!.key);
        const n = batches.reduce((s, b) => s + b.batch.events.length, 0);
        return n >= all.length ? batches : undefined;
      },
      `all ${all.length} events at the sandbox`,
      60_000,
    );

    const seen = new Map<string, number>();
    const lastTime = new Map<string, number>();
    for (const b of received) {
      const user = b.batch.user_identities.customer_id!;
      for (const e of b.batch.events) {
        const eid = e.data.custom_attributes.source_request_id!;
        seen.set(eid, (seen.get(eid) ?? 0) + 1);
        // Order per user: in arrival order, each user's events never go back in time.
        expect(e.data.timestamp_unixtime_ms, user).toBeGreaterThanOrEqual(lastTime.get(user) ?? 0);
        lastTime.set(user, e.data.timestamp_unixtime_ms);
      }
    }
    expect(seen.size).toBe(all.length);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    for (const e of all) expect(seen.has(e.id as string)).toBe(true);
  });
});
