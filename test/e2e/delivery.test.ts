import { describe, expect, it } from 'vitest';
import { eventType, MAPPABLE_TYPES } from '../../src/catalog/catalog.js';
import { createExport, deliveredIds, event, feedKeys, waitFor, useStack } from './harness.js';

/** Delivery from the real service to the real sandbox: mapping of every type, routing, skipped users, merging. */

const stack = useStack();

type Keys = Record<string, { key: string; secret: string }>;

const exportTo = (keys: Keys, extra: Record<string, unknown> = {}): Promise<string> =>
  createExport(stack.service, stack.sandbox, keys, {
    name: `e2e ${Object.keys(keys).join('+')}`,
    environment: 'development',
    events: MAPPABLE_TYPES,
    ...extra,
  });

interface Status {
  event_types: { type: string; delivered: number; skipped_no_external_user_id: number }[];
  feeds: { id: string; state: string }[];
}

const status = async (id: string) => (await stack.service.api<Status>('GET', `/v1/exports/${id}/status`)).body;

async function pushAll(events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const res = await stack.service.push(events.slice(i, i + 100));
    expect(res.status).toBe(200);
    expect(res.body.quarantined).toEqual([]);
  }
}

/** The slot an event must reach: its platform's when it is app-bound and that slot has a key, else unbound. */
function expectedSlot(e: Record<string, unknown>, slots: readonly string[]): string {
  const p = typeof e.platform === 'string' ? e.platform.toLowerCase() : null;
  if (e.app_id && p && ['ios', 'android', 'web'].includes(p) && slots.includes(p)) return p;
  return 'unbound';
}

describe('delivery to the sandbox', () => {
  it('delivers every mappable type exactly as the catalog maps it, each to its feed', async () => {
    const keys = feedKeys('all-types', ['ios', 'android', 'web', 'unbound']);
    const id = await exportTo(keys);
    const events = MAPPABLE_TYPES.map((type, i) => event(type, `user-${i}`, { platform: 'android', appId: 'app-a' }));
    await pushAll(events);
    const keyOf = new Map(Object.entries(keys).map(([slot, k]) => [k.key, slot]));
    const received = await waitFor(async () => {
      const all = (await Promise.all(Object.values(keys).map((k) => stack.sandbox.batches(k.key)))).flat();
      const n = all.reduce((s, b) => s + b.batch.events.length, 0);
      return n >= events.length ? all : undefined;
    }, `all ${events.length} types to arrive`);

    const byId = new Map<
      string,
      {
        slot: string;
        batch: (typeof received)[number]['batch'];
        ev: (typeof received)[number]['batch']['events'][number];
      }
    >();
    for (const r of received) {
      for (const ev of r.batch.events)
        byId.set(ev.data.custom_attributes.source_request_id!, { slot: keyOf.get(r.key)!, batch: r.batch, ev });
    }
    expect(byId.size).toBe(events.length);
    for (const e of events) {
      const type = e.event_type as string;
      const mapping = eventType(type)!.mparticle!;
      const got = byId.get(e.id as string);
      expect(got, type).toBeDefined();
      expect(got!.slot, type).toBe(expectedSlot(e, ['ios', 'android', 'web', 'unbound']));
      expect(got!.batch.user_identities.customer_id, type).toBe(e.external_user_id);
      expect(got!.batch.environment).toBe('development');
      expect(got!.ev.event_type, type).toBe(mapping.eventType);
      if (mapping.eventType === 'custom_event') expect(got!.ev.data.event_name, type).toBe(mapping.eventName);
      expect(got!.ev.data.timestamp_unixtime_ms, type).toBe((e.time as number) * 1000);
      expect(got!.ev.data.source_message_id, type).toBe(e.id);
      for (const value of Object.values(got!.ev.data.custom_attributes)) expect(typeof value).toBe('string');
    }
    await waitFor(async () => {
      const s = await status(id);
      return s.event_types.reduce((n, t) => n + t.delivered, 0) === events.length;
    }, 'the status to count every delivered event');
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it.each([
    ['all four feeds', ['ios', 'android', 'web', 'unbound'], false],
    ['only unbound', ['unbound'], false],
    ['one key shared by all four', ['ios', 'android', 'web', 'unbound'], true],
  ] as const)('routes with %s, each event sent once', async (_name, slots, shared) => {
    let keys = feedKeys('route', slots);
    if (shared) {
      const one = Object.values(keys)[0]!;
      keys = Object.fromEntries(slots.map((s) => [s, one]));
    }
    const id = await exportTo(keys);
    const types = [
      'users.messages.pushnotification.Open',
      'users.messages.inappmessage.Click',
      'users.messages.email.Send',
    ];
    const events = ['ios', 'android', 'web', 'tvos'].flatMap((platform, i) =>
      types.map((type) => event(type, `router-${i}`, { platform, appId: `app-${platform}` })),
    );
    await pushAll(events);
    const distinctKeys = [...new Set(Object.values(keys).map((k) => k.key))];
    const seen = await waitFor(async () => {
      const ids = await deliveredIds(stack.sandbox, distinctKeys);
      return ids.size >= events.length ? ids : undefined;
    }, 'every routed event');
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (const e of events) {
      const slot = shared ? Object.keys(keys)[0]! : expectedSlot(e, slots);
      const ids = await deliveredIds(stack.sandbox, [keys[slot]!.key]);
      expect(ids.has(e.id as string), `${String(e.event_type)} ${String(e.platform)} -> ${slot}`).toBe(true);
    }
    const s = await status(id);
    expect(s.feeds.map((f) => f.id)).toEqual(shared ? ['ios+android+web+unbound'] : slots.map((x) => x));
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('skips users without an external user id, counts them per type, and never sends them', async () => {
    const keys = feedKeys('skip', ['unbound']);
    const id = await exportTo(keys);
    const type = 'users.messages.email.Send';
    const anonymous = Array.from({ length: 5 }, () => event(type, null));
    const known = Array.from({ length: 3 }, (_, i) => event(type, `known-${i}`));
    await pushAll([...anonymous, ...known]);
    const s = await waitFor(async () => {
      const st = await status(id);
      const row = st.event_types.find((t) => t.type === type)!;
      return row.delivered === 3 && row.skipped_no_external_user_id === 5 ? st : undefined;
    }, '3 delivered and 5 skipped');
    expect(s.event_types.find((t) => t.type === type)).toMatchObject({ delivered: 3, skipped_no_external_user_id: 5 });
    const ids = await deliveredIds(stack.sandbox, [keys.unbound!.key]);
    expect([...ids.keys()].sort()).toEqual(known.map((e) => e.id as string).sort());
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it.each([
    [true, 1],
    [false, 4],
  ] as const)(
    'with merge_batches %s, four events of one user travel in %i batch(es), in time order',
    async (merge, batches) => {
      const keys = feedKeys('merge', ['unbound']);
      const id = await exportTo(keys, { merge_batches: merge });
      const t = 1_790_000_000;
      const events = [3, 1, 4, 2].map((k) => event('users.messages.email.Open', 'merger', { time: t + k }));
      await pushAll(events);
      const got = await waitFor(async () => {
        const b = await stack.sandbox.batches(keys.unbound!.key);
        return b.reduce((n, x) => n + x.batch.events.length, 0) >= 4 ? b : undefined;
      }, 'the four events');
      expect(got).toHaveLength(batches);
      if (merge) {
        expect(got[0]!.batch.events.map((e) => e.data.timestamp_unixtime_ms)).toEqual(
          [1, 2, 3, 4].map((k) => (t + k) * 1000),
        );
      }
      await stack.service.api('DELETE', `/v1/exports/${id}`);
    },
  );
});
