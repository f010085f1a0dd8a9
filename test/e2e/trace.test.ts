import { describe, expect, it } from 'vitest';
import { createExport, event, feedKeys, useStack, waitFor } from './harness.js';

/** GET /v1/events/:id: what became of one event, per export, against the real service and sandbox. */

const stack = useStack();

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.email.Open';
const PUSH = 'users.messages.pushnotification.Open';

interface ExportTrace {
  export_id: string;
  export_name: string;
  fate: string;
  message: string;
  feed: string | null;
  cursor: number | null;
  mparticle: { envelope: { user_identities: Record<string, string> }; event: unknown } | null;
}
interface Trace {
  event_id: string;
  log: { seq: number; partition: number; type: string; external_user_id: string | null; platform: string | null };
  event: Record<string, unknown>;
  exports: ExportTrace[];
}

async function trace(e: Record<string, unknown>): Promise<Trace> {
  const res = await stack.service.api<Trace>('GET', `/v1/events/${e.id as string}`);
  expect(res.status).toBe(200);
  return res.body;
}
const fateIn = (t: Trace, exportId: string): ExportTrace => t.exports.find((x) => x.export_id === exportId)!;

describe('tracing one event', () => {
  it('says per export what became of it, with the mParticle event it maps to', async () => {
    const early = event(SEND, 'trace-early');
    expect((await stack.service.push([early])).status).toBe(200);

    const keys = feedKeys('trace', ['unbound']);
    const a = await createExport(stack.service, stack.sandbox, keys, {
      name: 'Trace A',
      environment: 'development',
      events: [SEND, PUSH],
    });
    // B has only an iOS feed, and is paused.
    const b = await createExport(stack.service, stack.sandbox, feedKeys('trace-ios', ['ios']), {
      name: 'Trace B',
      events: [SEND, PUSH],
    });
    expect((await stack.service.api('POST', `/v1/exports/${b}/pause`)).status).toBe(200);

    const sent = event(SEND, 'trace-user');
    const anonymous = event(SEND, null);
    const open = event(OPEN, 'trace-user');
    const iosPush = event(PUSH, 'trace-ios-user', { platform: 'ios', appId: 'app-ios' });
    expect((await stack.service.push([sent, anonymous, open, iosPush])).status).toBe(200);

    const batches = await waitFor(async () => {
      const got = await stack.sandbox.batches(keys.unbound!.key);
      return got.reduce((n, x) => n + x.batch.events.length, 0) >= 2 ? got : undefined;
    }, 'the two deliverable events to arrive');
    await waitFor(async () => fateIn(await trace(sent), a).fate === 'delivered', 'the trace to say delivered');

    // Delivered: the log row, and the mapping is what the sandbox received.
    const sentTrace = await trace(sent);
    expect(sentTrace.event_id).toBe(sent.id);
    expect(sentTrace.log).toMatchObject({ type: SEND, external_user_id: 'trace-user', platform: null });
    expect(sentTrace.event.id).toBe(sent.id);
    const inA = fateIn(sentTrace, a);
    expect(inA).toMatchObject({ export_name: 'Trace A', fate: 'delivered', feed: 'unbound' });
    expect(inA.cursor).toBeGreaterThanOrEqual(sentTrace.log.seq);
    const received = batches.find((x) =>
      x.batch.events.some((ev) => ev.data.custom_attributes.source_request_id === sent.id),
    )!;
    expect(inA.mparticle!.event).toEqual(
      received.batch.events.find((ev) => ev.data.custom_attributes.source_request_id === sent.id),
    );
    expect(inA.mparticle!.envelope.user_identities).toEqual(received.batch.user_identities);
    // B has no unbound feed: email events have nowhere to go, and it says what to do.
    expect(fateIn(sentTrace, b)).toMatchObject({ fate: 'no_feed', feed: null });
    expect(fateIn(sentTrace, b).message).toContain('Add Unbound credentials');

    // An iOS event: A (no iOS feed) sent it to unbound; B holds it while paused.
    const iosTrace = await trace(iosPush);
    await waitFor(async () => fateIn(await trace(iosPush), a).fate === 'delivered', 'the iOS event in A');
    expect(fateIn(iosTrace, b)).toMatchObject({ fate: 'waiting', feed: 'ios' });
    expect(fateIn(iosTrace, b).message).toContain('paused');

    const anonymousInA = fateIn(await trace(anonymous), a);
    expect(anonymousInA).toMatchObject({ fate: 'skipped', feed: 'unbound', mparticle: null });
    expect(anonymousInA.message).toContain('no external_user_id');
    expect(fateIn(await trace(open), a)).toMatchObject({ fate: 'not_selected' });
    const earlyInA = fateIn(await trace(early), a);
    expect(earlyInA.fate).toBe('before_start');
    expect(earlyInA.message).toContain('a replay over its time sends it');
    // A replay over its time (how a new workspace is filled) reaches it, and the trace follows that replay.
    const t = early.time as number;
    const replay = await stack.service.api<{ generation: number }>('POST', `/v1/exports/${a}/replay`, {
      from: new Date((t - 5) * 1000).toISOString(),
      to: new Date((t + 5) * 1000).toISOString(),
    });
    expect(replay.status).toBe(202);
    const replayed = await waitFor(async () => {
      const inA = fateIn(await trace(early), a);
      return inA.fate === 'delivered' ? inA : undefined;
    }, 'the early event to be delivered by the replay');
    expect(replayed.message).toContain(`by replay ${replay.body.generation}`);
    expect(
      (await stack.sandbox.batches(keys.unbound!.key)).some((x) =>
        x.batch.events.some((ev) => ev.data.custom_attributes.source_request_id === early.id),
      ),
    ).toBe(true);

    // A test event of A ("Send test events") is A's alone.
    const test = await stack.service.api<{ sent: { id: string }[] }>('POST', `/v1/exports/${a}/test-events`, {
      types: [SEND],
    });
    expect(test.status).toBe(202);
    const testTrace = await trace({ id: test.body.sent[0]!.id });
    expect(fateIn(testTrace, b).fate).toBe('test_of_other_export');
    expect(fateIn(testTrace, b).message).toContain(a);
    await waitFor(async () => fateIn(await trace({ id: test.body.sent[0]!.id }), a).fate === 'delivered', 'A test');

    for (const id of [a, b]) await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('answers 404 for an id the log does not hold, saying where else to look, and needs the admin token', async () => {
    const res = await stack.service.api<{ error: string; code: string }>('GET', '/v1/events/never-sent-0001');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect(res.body.error).toContain('GET /v1/quarantine');
    const anonymous = await fetch(`${stack.service.url}/v1/events/never-sent-0001`);
    expect(anonymous.status).toBe(401);
  });
});
