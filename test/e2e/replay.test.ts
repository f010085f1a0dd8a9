import { describe, expect, it } from 'vitest';
import { createExport, deliveredIds, event, feedKeys, useStack, waitFor } from './harness.js';

/**
 * Replay and back-fill end to end, with the built service and the sandbox as child processes: a replay of a time
 * range reaches the sandbox, its progress ends with the right counts (delivered, skipped, dead-lettered), and a new
 * export started from the earliest event sends what the log held before it existed.
 */

const SEND = 'users.messages.email.Send';
const HOUR = 3600;

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
  finished_at: string | null;
  message: string | null;
}

describe('replay and back-fill', { timeout: 90_000 }, () => {
  const stack = useStack();
  const now = Math.floor(Date.now() / 1000);
  // An hour ago: six users, one event without an external user id, and one user mParticle refuses (400).
  const recent = [
    ...Array.from({ length: 6 }, (_, i) => event(SEND, `replay-user-${i}`, { time: now - HOUR + i })),
    event(SEND, null, { time: now - HOUR + 10 }),
    event(SEND, 'poison-user', { time: now - HOUR + 11 }),
  ];
  const older = Array.from({ length: 2 }, (_, i) => event(SEND, `older-user-${i}`, { time: now - 72 * HOUR + i }));
  const idsOf = (events: Record<string, unknown>[]) => events.map((e) => e.id as string);

  it('re-sends a range to the sandbox, and its progress ends with the right counts', async () => {
    const { service, sandbox } = stack;
    expect((await service.push([...recent, ...older])).body.stored).toBe(10);
    const keys = feedKeys('replay', ['unbound']);
    const id = await createExport(service, sandbox, keys, { events: [SEND] });
    const key = keys.unbound!.key;

    const from = new Date((now - 2 * HOUR) * 1000).toISOString();
    const preview = await service.api<{ events: number }>('GET', `/v1/exports/${id}/replay-preview?from=${from}`);
    expect(preview.body.events).toBe(8);
    // Started from now, the export sent nothing of what was logged before it.
    expect((await deliveredIds(sandbox, [key])).size).toBe(0);

    await sandbox.faults({ poison: ['poison-user'] });
    const asked = await service.api<ReplayView>('POST', `/v1/exports/${id}/replay`, { from });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ generation: 1, events: 8 });
    const first = await waitFor(async () => {
      const r = await service.api<ReplayView>('GET', `/v1/exports/${id}/replays/1`);
      return r.body.state !== 'running' && r.body;
    }, 'replay 1 to end');
    expect(first).toMatchObject({
      state: 'failed',
      events: 8,
      sent: 8,
      percent: 100,
      delivered: 6,
      skipped: 1,
      dead_lettered: 1,
      dropped: 0,
    });
    expect(first.message).toMatch(/1 of its events did not reach mParticle \(1 dead-lettered, 0 dropped\)/);
    const got = await deliveredIds(sandbox, [key]);
    expect([...got.keys()].sort()).toEqual(idsOf(recent.slice(0, 6)).sort());
    expect([...got.values()].every((n) => n === 1)).toBe(true);

    // The older events alone, with mParticle accepting everything again.
    await sandbox.clearFaults();
    const olderRange = {
      from: new Date((now - 80 * HOUR) * 1000).toISOString(),
      to: new Date((now - 60 * HOUR) * 1000).toISOString(),
    };
    expect((await service.api('POST', `/v1/exports/${id}/replay`, olderRange)).status).toBe(202);
    const second = await waitFor(async () => {
      const r = await service.api<ReplayView>('GET', `/v1/exports/${id}/replays/2`);
      return r.body.state !== 'running' && r.body;
    }, 'replay 2 to end');
    expect(second).toMatchObject({ state: 'done', events: 2, sent: 2, delivered: 2, skipped: 0, message: null });
    const list = await service.api<{ replays: ReplayView[] }>('GET', `/v1/exports/${id}/replays`);
    expect(list.body.replays.map((r) => [r.generation, r.state])).toEqual([
      [2, 'done'],
      [1, 'failed'],
    ]);
    expect([...(await deliveredIds(sandbox, [key])).keys()].sort()).toEqual(
      idsOf([...recent.slice(0, 6), ...older]).sort(),
    );
  });

  it('back-fills what the log holds into a new export started from the earliest event', async () => {
    const { service, sandbox } = stack;
    const keys = feedKeys('backfill', ['unbound']);
    const id = await createExport(service, sandbox, keys, { events: [SEND], from: 'earliest' });
    const shown = await service.api<{ from: string; start_seq: number }>('GET', `/v1/exports/${id}`);
    expect(shown.body).toMatchObject({ from: 'earliest', start_seq: 0 });
    const status = await waitFor(async () => {
      const s = await service.api<{ totals: { delivered: number; skipped: number } }>(
        'GET',
        `/v1/exports/${id}/status`,
      );
      return s.body.totals.delivered + s.body.totals.skipped >= 10 && s.body;
    }, 'the back-fill');
    // Everything the first test logged, the poisoned user included (nothing refuses it now); one has no user id.
    expect(status.totals).toMatchObject({ delivered: 9, skipped: 1 });
    const got = await deliveredIds(sandbox, [keys.unbound!.key]);
    expect([...got.keys()].sort()).toEqual(idsOf([...recent.slice(0, 6), recent[7]!, ...older]).sort());
  });
});
