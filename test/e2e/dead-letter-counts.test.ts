import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../helpers/prometheus.js';
import { createExport, deliveredIds, event, feedKeys, useStack, waitFor } from './harness.js';

/**
 * "Every event accounted for", after a dead letter is retried: mParticle refuses one event's batch (400), it is
 * dead-lettered, the refusal is lifted and the dead letter retried through the API. Then every place that counts
 * delivered events says the same number: the export's status, the chart's series, the Prometheus metric, and
 * mParticle itself.
 */

const stack = useStack();
const EMAIL = 'users.messages.email.Send';
const N = 14;

interface Status {
  totals: { delivered: number; dead_lettered: number; dropped: number; skipped: number };
  event_types: { type: string; delivered: number; dead_lettered: number }[];
  dead_letters: number;
}
interface DeadLetters {
  total: number;
  dead_letters: { id: number; status: number | null; error: string; event_ids: string[]; attempts: number }[];
}
interface Series {
  points: { feed: string; minute: number; count: number }[];
}

describe('a retried dead letter', { timeout: 120_000 }, () => {
  it('is counted as delivered alike by the status, the chart, the metrics and mParticle', async () => {
    const { service, sandbox } = stack;
    const keys = feedKeys('dl-counts', ['unbound']);
    const key = keys.unbound!.key;
    const poison = `dl-counts-refused-${key}`;
    await sandbox.faults({ poison: [poison] });
    const id = await createExport(service, sandbox, keys, { name: 'Dead letter counts', events: [EMAIL] });

    const events = Array.from({ length: N - 1 }, (_, i) => event(EMAIL, `dl-counts-${i}`));
    const refused = event(EMAIL, poison);
    events.splice(5, 0, refused);
    expect((await service.push(events)).status).toBe(200);

    const status = async () => (await service.api<Status>('GET', `/v1/exports/${id}/status`)).body;
    const held = await waitFor(
      async () => {
        const s = await status();
        return s.totals.delivered === N - 1 && s.totals.dead_lettered === 1 ? s : undefined;
      },
      `${N - 1} delivered and one dead-lettered`,
    );
    expect(held.dead_letters).toBe(1);
    const letters = (await service.api<DeadLetters>('GET', `/v1/exports/${id}/dead-letters`)).body;
    expect(letters.total).toBe(1);
    const letter = letters.dead_letters[0]!;
    expect(letter.event_ids).toEqual([refused.id]);
    expect(letter.status).toBe(400);
    expect(letter.error).toContain(poison);
    // It was sent, and refused, before it became a dead letter.
    expect(letter.attempts).toBeGreaterThanOrEqual(1);

    await sandbox.faults({ poison: null });
    const retried = await service.api<{ delivered: number; failed: unknown[] }>(
      'POST',
      `/v1/exports/${id}/dead-letters/${letter.id}/retry`,
    );
    expect(retried).toEqual({ status: 200, body: { delivered: 1, failed: [] } });

    // mParticle: each of the N events accepted once.
    const accepted = await deliveredIds(sandbox, [key]);
    expect([...accepted.keys()].sort()).toEqual(events.map((e) => e.id as string).sort());
    expect([...accepted.values()].filter((n) => n > 1)).toEqual([]);
    // The status: N delivered, none dead-lettered, no dead letter left.
    const after = await status();
    expect(after.totals).toMatchObject({ delivered: N, dead_lettered: 0, dropped: 0, skipped: 0 });
    expect(after.event_types.find((t) => t.type === EMAIL)).toMatchObject({ delivered: N, dead_lettered: 0 });
    expect(after.dead_letters).toBe(0);
    expect((await service.api<DeadLetters>('GET', `/v1/exports/${id}/dead-letters`)).body.total).toBe(0);
    // The chart (what the export's page draws): the delivered events per minute add up to N.
    const series = (await service.api<Series>('GET', `/v1/exports/${id}/series?hours=1`)).body;
    expect(series.points.every((p) => p.feed === 'unbound')).toBe(true);
    expect(series.points.reduce((n, p) => n + p.count, 0)).toBe(N);
    // The metric, summed over the export's feeds.
    const metrics = parsePrometheus(await (await fetch(`${service.url}/metrics`)).text());
    const delivered = metrics
      .filter((s) => s.name === 'currents_delivery_events_total' && s.labels.export === id)
      .filter((s) => s.labels.outcome === 'delivered');
    expect(delivered.reduce((n, s) => n + s.value, 0)).toBe(N);
  });
});
