import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRetention } from '../../src/server/retention.js';
import type { Store } from '../../src/store/port.js';
import type { ExportRecord, NewEvent } from '../../src/types.js';
import { allRows, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The service's retention loop over a real SQLite store: it removes log rows past the retention window that no
 * export still needs, and keeps the old rows an export's cursor has not passed.
 */

const HOUR = 3_600_000;
let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => {
  vi.useRealTimers();
  await t.close();
});

function event(id: string, partition: number, receivedAt: number): NewEvent {
  return {
    eventId: id,
    type: 'users.messages.email.Send',
    partition,
    externalUserId: `user-${partition}`,
    platform: null,
    appId: null,
    time: Math.floor(receivedAt / 1000),
    receivedAt,
    payload: JSON.stringify({ event_type: 'users.messages.email.Send', id, time: Math.floor(receivedAt / 1000) }),
    source: 'default',
  };
}

function exportRecord(id: string): ExportRecord {
  return {
    id,
    name: 'Holds the log',
    contactEmail: 'ops@example.com',
    destination: { pod: 'EU1' },
    environment: 'development',
    feeds: {},
    events: ['users.messages.email.Send'],
    identity: 'customer_id',
    eventNames: {},
    mergeBatches: false,
    holdWindowHours: 48,
    rateLimit: 270,
    state: 'active',
    startSeq: 0,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
}

/** Ids of the rows left in one partition. */
async function left(store: Store, partition: number): Promise<string[]> {
  return (await allRows(store)).filter((r) => r.partition === partition).map((r) => r.eventId);
}

describe('startRetention', () => {
  it('removes old rows no export needs and keeps those an export cursor has not passed', async () => {
    const now = Date.now();
    const old = now - 200 * HOUR;
    const young = now - HOUR;
    const seqs: Record<string, number> = {};
    for (const [partition, prefix] of [
      [0, 'p0'],
      [1, 'p1'],
    ] as const) {
      for (let i = 0; i < 4; i++) {
        const r = await t.store.append([event(`${prefix}-old-${i}`, partition, old + i)]);
        seqs[`${prefix}-old-${i}`] = r.lastSeq!;
      }
      await t.store.append([event(`${prefix}-young`, partition, young)]);
    }
    // One export: done with partition 0's old rows, only with the first two of partition 1.
    await t.store.createExport(exportRecord('exp-1'));
    await t.store.putCursors([
      {
        exportId: 'exp-1',
        feed: 'unbound',
        partition: 0,
        generation: 0,
        seq: seqs['p0-old-3']!,
        inflight: null,
        passed: [],
      },
      {
        exportId: 'exp-1',
        feed: 'unbound',
        partition: 1,
        generation: 0,
        seq: seqs['p1-old-1']!,
        inflight: null,
        passed: [],
      },
    ]);
    for (let p = 2; p < 4; p++) {
      await t.store.putCursors([
        { exportId: 'exp-1', feed: 'unbound', partition: p, generation: 0, seq: 0, inflight: null, passed: [] },
      ]);
    }

    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    const retention = startRetention(t.store, { retentionHours: 168, auditRetentionDays: 365 }, logger, 60_000);
    vi.advanceTimersByTime(4_999);
    await Promise.resolve();
    expect(await left(t.store, 0)).toHaveLength(5);

    vi.advanceTimersByTime(1);
    await retention.stop();
    expect(await left(t.store, 0)).toEqual(['p0-young']);
    expect(await left(t.store, 1)).toEqual(['p1-old-2', 'p1-old-3', 'p1-young']);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; removed: number });
    expect(logged).toMatchObject([{ msg: 'retention removed old events from the log', removed: 6 }]);
  });

  it('runs again on its interval until stopped', async () => {
    const now = Date.now();
    const logger = pino({ level: 'silent' });
    await t.store.append([event('first', 0, now - 300 * HOUR)]);
    // Only the retention timers are faked: the store's group commit still runs on real setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    const retention = startRetention(t.store, { retentionHours: 24, auditRetentionDays: 365 }, logger, 60_000);
    vi.advanceTimersByTime(5_000);
    await vi.waitFor(async () => expect(await allRows(t.store)).toEqual([]));

    await t.store.append([event('second', 1, now - 300 * HOUR), event('young', 1, now)]);
    vi.advanceTimersByTime(60_000);
    await vi.waitFor(async () => expect((await allRows(t.store)).map((r) => r.eventId)).toEqual(['young']));

    await retention.stop();
    await t.store.append([event('third', 2, now - 300 * HOUR)]);
    vi.advanceTimersByTime(10 * 60_000);
    await new Promise((r) => setImmediate(r));
    expect((await allRows(t.store)).map((r) => r.eventId)).toEqual(['young', 'third']);
  });

  it('removes audit log entries older than CURRENTS_AUDIT_RETENTION_DAYS, on the same timer', async () => {
    const now = Date.now();
    const DAY = 24 * HOUR;
    const entry = (at: number, action: string) => ({
      at,
      tokenName: 'alice',
      action,
      targetKind: 'export' as const,
      targetId: 'exp-1',
      changes: [],
      detail: {},
    });
    await t.store.addAudit(entry(now - 400 * DAY, 'export.pause'));
    await t.store.addAudit(entry(now - 20 * DAY, 'export.resume'));
    await t.store.addAudit(entry(now - DAY, 'export.update'));
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    // The default (a year) first: only the entry older than 365 days goes.
    let retention = startRetention(t.store, t.config, pino({ level: 'silent' }), 60_000);
    expect(t.config.auditRetentionDays).toBe(365);
    vi.advanceTimersByTime(5_000);
    await retention.stop();
    expect((await t.store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual(['export.update', 'export.resume']);

    retention = startRetention(
      t.store,
      { retentionHours: 168, auditRetentionDays: 7 },
      pino({ level: 'silent' }),
      60_000,
    );
    vi.advanceTimersByTime(5_000);
    await retention.stop();
    expect((await t.store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual(['export.update']);
  });
});
