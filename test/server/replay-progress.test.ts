import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/server.js';
import { INGEST_TOKEN } from '../helpers/app.js';
import { newPlace, startTestService, type StoreKind, type TestService } from '../helpers/service.js';
import { pgUnavailable } from '../store/postgres-helper.js';

/**
 * The replay preview (how many events a range holds for the export's selection), the list of replays with their
 * progress, and the range errors, on the running service (real HTTP, a real sandbox as mParticle) over SQLite and
 * PostgreSQL. PostgreSQL tests skip, saying so, when no server answers on 127.0.0.1:5432.
 */

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.email.Open';
const HOUR = 3600;

interface Preview {
  from: string;
  to: string;
  events: number;
  no_feed: number;
}
interface ReplayView {
  generation: number;
  state: string;
  events: number;
  sent: number;
  percent: number;
  delivered: number;
  skipped: number;
  dead_lettered: number;
  dropped: number;
  started_at: string;
  finished_at: string | null;
  message: string | null;
}
interface ErrorBody {
  error: string;
  code: string;
  fields?: Record<string, string>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const event = (type: string, time: number) =>
  sampleEvent(type, { id: randomUUID(), time, externalUserId: `u-${randomUUID().slice(0, 8)}` });

async function pushTo(s: TestService, source: string, events: unknown[]): Promise<void> {
  const res = await fetch(`${s.url}/v1/currents?source=${source}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
}

/**
 * A service whose log holds, in the last two hours: 5 Sends from `default`, 2 Sends from `brand-b` and 3 Opens;
 * 4 Sends three days old; and an export (sending Sends of `default` to the sandbox) created after them, from now.
 */
async function world(kind: StoreKind) {
  const sandbox: SandboxHandle = await startSandbox({ port: 0, feeds: [{ key: 'rp-key', secret: 'rp-secret' }] });
  closers.push(() => sandbox.close());
  const s = await startTestService(await newPlace(kind));
  closers.push(() => s.close());
  const now = Math.floor(Date.now() / 1000);
  expect((await s.api('POST', '/v1/sources', { id: 'brand-b', name: 'Brand B', kind: 'http' })).status).toBe(201);
  await pushTo(s, 'default', [
    ...Array.from({ length: 5 }, (_, i) => event(SEND, now - HOUR + i)),
    ...Array.from({ length: 3 }, (_, i) => event(OPEN, now - HOUR + i)),
    ...Array.from({ length: 4 }, (_, i) => event(SEND, now - 72 * HOUR + i)),
  ]);
  await pushTo(s, 'brand-b', [event(SEND, now - HOUR), event(SEND, now - HOUR + 1)]);
  const created = await s.api<{ id: string }>('POST', '/v1/exports', {
    name: 'replays',
    contact_email: 'ops@example.com',
    destination: { base_url: sandbox.url },
    feeds: { unbound: { key: 'rp-key', secret: 'rp-secret' } },
    events: [SEND],
    sources: ['default'],
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const from = new Date((now - 2 * HOUR) * 1000).toISOString();
  return { s, id, now, from };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each([
  ['sqlite', null],
  ['postgres', pgUnavailable],
] as const)('replay preview and progress on %s', (kind, unavailable) => {
  it.skipIf(unavailable !== null)(
    "counts only the range's events of the export's types and sources, before anything is asked",
    async () => {
      const { s, id, from } = await world(kind);
      const preview = await s.api<Preview>('GET', `/v1/exports/${id}/replay-preview?from=${from}`);
      expect(preview.status).toBe(200);
      expect(preview.body).toMatchObject({ from: new Date(from).toISOString(), events: 5, no_feed: 0 });
      // Three days back takes the old Sends in too; a range before everything holds nothing.
      const wide = await s.api<Preview>(
        'GET',
        `/v1/exports/${id}/replay-preview?from=${new Date(Date.now() - 80 * HOUR * 1000).toISOString()}`,
      );
      expect(wide.body.events).toBe(9);
      const none = await s.api<Preview>('GET', `/v1/exports/${id}/replay-preview?from=2020-01-01&to=2020-01-02`);
      expect(none.body.events).toBe(0);
      // A preview asks for nothing.
      expect((await s.api<{ replays: unknown[] }>('GET', `/v1/exports/${id}/replays`)).body.replays).toEqual([]);
    },
  );

  it.skipIf(unavailable !== null)(
    'refuses a bad range with a sentence saying what to change, on the preview and on the replay',
    async () => {
      const { s, id } = await world(kind);
      const future = new Date(Date.now() + 3 * 86_400_000).toISOString();
      const cases: [string, string | undefined, RegExp][] = [
        ['2026-11-28T10:00:00Z', '2026-11-27T10:00:00Z', /"from" \(2026-11-28T10:00:00\.000Z\) is after "to"/],
        ['2026-11-28T10:00:00Z', future, /"to" \(.*\) is in the future: give a time up to now/],
        ['yesterday', undefined, /"from" must be a time with its zone such as .*; "yesterday" is not one/],
        ['2026-11-28T10:00:00', undefined, /"from" must be a time with its zone/],
        ['', undefined, /give "from", the start of the time range/],
      ];
      for (const [fromText, toText, sentence] of cases) {
        const qs = new URLSearchParams({ from: fromText, ...(toText ? { to: toText } : {}) });
        const preview = await s.api<ErrorBody>('GET', `/v1/exports/${id}/replay-preview?${qs}`);
        expect(preview.status, `${fromText} → ${toText}`).toBe(400);
        expect(preview.body.error).toMatch(sentence);
        expect(preview.body.error).toMatch(/\.$/);
        const asked = await s.api<ErrorBody>('POST', `/v1/exports/${id}/replay`, {
          from: fromText,
          ...(toText ? { to: toText } : {}),
        });
        expect(asked.status).toBe(400);
        expect(asked.body.error).toMatch(sentence);
      }
      // Nothing was asked for by the refused requests.
      expect((await s.api<{ replays: unknown[] }>('GET', `/v1/exports/${id}/replays`)).body.replays).toEqual([]);
      const missing = await s.api<ErrorBody>('GET', `/v1/exports/no-such/replay-preview?from=2026-01-01`);
      expect(missing.status).toBe(404);
    },
  );

  it.skipIf(unavailable !== null)(
    'shows a replay waiting with nothing sent while the export is paused, then done with every event delivered',
    async () => {
      const { s, id, from } = await world(kind);
      expect((await s.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
      const asked = await s.api<ReplayView>('POST', `/v1/exports/${id}/replay`, { from });
      expect(asked.status).toBe(202);
      expect(asked.body).toMatchObject({ generation: 1, state: 'running', events: 5, sent: 0, percent: 0 });

      const waiting = await s.api<{ replays: ReplayView[] }>('GET', `/v1/exports/${id}/replays`);
      expect(waiting.body.replays).toHaveLength(1);
      expect(waiting.body.replays[0]).toMatchObject({ state: 'running', events: 5, sent: 0, finished_at: null });
      expect(waiting.body.replays[0]!.message).toMatch(/paused: this replay goes on when it is resumed/);

      expect((await s.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);
      const done = await until(
        () => s.api<ReplayView>('GET', `/v1/exports/${id}/replays/1`),
        (r) => r.body.state !== 'running',
      );
      expect(done.body).toMatchObject({
        generation: 1,
        state: 'done',
        events: 5,
        sent: 5,
        percent: 100,
        delivered: 5,
        skipped: 0,
        dead_lettered: 0,
        dropped: 0,
        message: null,
      });
      expect(Date.parse(done.body.finished_at!)).toBeGreaterThanOrEqual(Date.parse(done.body.started_at));
      expect((await s.api('GET', `/v1/exports/${id}/replays/2`)).status).toBe(404);

      // A second replay over a wider range is listed first, with its own figures.
      const wider = new Date(Date.now() - 80 * HOUR * 1000).toISOString();
      expect((await s.api('POST', `/v1/exports/${id}/replay`, { from: wider })).status).toBe(202);
      const both = await until(
        () => s.api<{ replays: ReplayView[] }>('GET', `/v1/exports/${id}/replays`),
        (r) => r.body.replays.every((x) => x.state === 'done'),
      );
      expect(both.body.replays.map((r) => [r.generation, r.state, r.events, r.delivered])).toEqual([
        [2, 'done', 9, 9],
        [1, 'done', 5, 5],
      ]);
    },
  );

  it.skipIf(unavailable !== null)(
    'counts a replay as sent only as far as its cursors are, whatever process is asked',
    async () => {
      const { s, id, from } = await world(kind);
      expect((await s.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
      expect((await s.api('POST', `/v1/exports/${id}/replay`, { from })).status).toBe(202);
      // Move one lane's cursor as a sender's commit would: the events at or before it count as sent.
      const store = s.service.store;
      const now = Math.floor(Date.now() / 1000);
      const reads = await Promise.all(
        Array.from({ length: s.config.partitions }, (_, partition) =>
          store.read({
            partition,
            afterSeq: 0,
            types: [SEND],
            sources: ['default'],
            fromTime: now - 2 * HOUR,
            toTime: now,
            limit: 100,
          }),
        ),
      );
      const partition = reads.findIndex((r) => r.rows.length > 0);
      const first = reads[partition]!.rows[0]!;
      await store.commitProgress({
        exportId: id,
        feed: 'unbound',
        partition,
        generation: 1,
        seq: first.seq,
        inflight: null,
        passed: [],
        counters: [{ feed: 'unbound', type: SEND, outcome: 'delivered', count: 1 }],
        deadLetters: [],
        drops: [],
        delivered: null,
      });
      const view = (await s.api<ReplayView>('GET', `/v1/exports/${id}/replays/1`)).body;
      expect(view).toMatchObject({ state: 'running', events: 5, sent: 1, percent: 20, delivered: 1 });
      if (kind === 'postgres') {
        // Another process on the same database (an ingest process: it never delivers) answers the same.
        const other = await startTestService(s.place, { CURRENTS_ROLE: 'ingest' });
        closers.push(() => other.close('keep'));
        const there = (await other.api<ReplayView>('GET', `/v1/exports/${id}/replays/1`)).body;
        expect({ ...there, seconds: 0 }).toEqual({ ...view, seconds: 0 });
      }
    },
  );
});
