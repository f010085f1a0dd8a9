import { describe, expect, it } from 'vitest';
import { createExport, deliveredIds, event, feedKeys, INGEST, useStack, waitFor } from './harness.js';

/**
 * Several Braze workspaces into one service, by the real service and sandbox processes: each pushes with its own
 * token or with the ingest token and ?source=, and an export that takes one source sends that source's events only.
 */

const stack = useStack();
const SEND = 'users.messages.email.Send';

async function pushAs(token: string, query: string, events: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${stack.service.url}/v1/currents${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'braze-currents-version': '1' },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
}

describe('sources, end to end', () => {
  it('delivers to each export the events of the sources it takes, once each', async () => {
    const created = await stack.service.api<{ token: string }>('POST', '/v1/sources', {
      id: 'brand-a',
      name: 'Brand A',
      kind: 'http',
    });
    expect(created.status).toBe(201);
    const tokenA = created.body.token;
    expect(
      (await stack.service.api('POST', '/v1/sources', { id: 'brand-b', name: 'Brand B', kind: 'http' })).status,
    ).toBe(201);
    const onlyA = feedKeys('only-a', ['unbound']);
    const every = feedKeys('every', ['unbound']);
    const onlyAId = await createExport(stack.service, stack.sandbox, onlyA, { events: [SEND], sources: ['brand-a'] });
    await createExport(stack.service, stack.sandbox, every, { events: [SEND] });

    // One user, so one partition in log order: when the last event of brand A has arrived, the export has read past
    // every event of the others.
    const sent = { a: [] as string[], b: [] as string[], d: [] as string[] };
    for (let round = 0; round < 3; round++) {
      const [a, b, d] = [event(SEND, 'same-user'), event(SEND, 'same-user'), event(SEND, 'same-user')];
      await pushAs(tokenA, '', [a]);
      await pushAs(INGEST, '?source=brand-b', [b]);
      await pushAs(INGEST, '', [d]);
      sent.a.push(a.id as string);
      sent.b.push(b.id as string);
      sent.d.push(d.id as string);
    }
    const last = event(SEND, 'same-user');
    await pushAs(tokenA, '', [last]);
    sent.a.push(last.id as string);

    const toA = await waitFor(async () => {
      const seen = await deliveredIds(stack.sandbox, [onlyA.unbound!.key]);
      return seen.has(last.id as string) ? seen : undefined;
    }, "brand A's last event to reach the export of brand A");
    expect([...toA.keys()].sort()).toEqual([...sent.a].sort());
    expect([...toA.values()].every((n) => n === 1)).toBe(true);

    const all = [...sent.a, ...sent.b, ...sent.d];
    const toEvery = await waitFor(async () => {
      const seen = await deliveredIds(stack.sandbox, [every.unbound!.key]);
      return seen.size >= all.length ? seen : undefined;
    }, 'every event to reach the export of every source');
    expect([...toEvery.keys()].sort()).toEqual([...all].sort());

    const trace = await stack.service.api<{ log: { source: string }; exports: { export_id: string; fate: string }[] }>(
      'GET',
      `/v1/events/${sent.b[0]}`,
    );
    expect(trace.body.log.source).toBe('brand-b');
    expect(trace.body.exports.find((e) => e.export_id === onlyAId)?.fate).toBe('source_not_selected');

    const status = await stack.service.api<{ received_events: number; exports: { id: string }[] }>(
      'GET',
      '/v1/sources/brand-a/status',
    );
    expect(status.body.received_events).toBe(4);
    expect(status.body.exports.map((e) => e.id)).toContain(onlyAId);
  });
});
