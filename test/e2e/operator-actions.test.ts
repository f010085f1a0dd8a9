import { afterEach, describe, expect, it } from 'vitest';
import { account, settle, statusOf, summary, unsettledPartitions, type Accounting } from './accounting.js';
import { createExport, event, feedKeys, useStack } from './harness.js';

/**
 * Ordinary operator actions while chunks are in flight: pause, edit a setting that changes how a chunk is packed
 * (merging, event types), resume. mParticle (the sandbox) answers slowly, so every pause catches partitions in the
 * middle of a chunk, with some of its requests delivered and some not. Whatever the edits, every event must reach
 * mParticle (resent only under a source_request_id it has seen) or be counted, the counters must add up, and the
 * trace of an event must agree with what mParticle holds.
 *
 * Four partitions and chunks of 300 events for 40 users: unmerged, a chunk is three requests of 100 batches sent one
 * after another (a user has batches in each); merged, it is one request of ten batches.
 */

const stack = useStack({ env: { CURRENTS_PARTITIONS: '4', CURRENTS_READ_CHUNK: '300' } });

afterEach(async () => {
  await stack.sandbox.clearFaults();
});

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.email.Open';
const CLICK = 'users.messages.email.Click';
/** Each request takes this long: long enough that a pause finds requests in flight. */
const LATENCY_MS = 1000;
/**
 * When to pause after the export starts or resumes: in the middle of a chunk's second request (a chunk is three
 * requests of LATENCY_MS each), so that the pause records one request of the chunk as delivered and two as not.
 */
const MID_CHUNK_MS = 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Push the events, then create the export from the time just before: every partition starts with whole chunks, so
 * where a pause lands in a chunk does not depend on how the pushes were cut.
 */
async function exportOf(
  keys: Record<string, { key: string; secret: string }>,
  events: Record<string, unknown>[],
  body: Record<string, unknown>,
): Promise<string> {
  const since = new Date().toISOString();
  await sleep(5);
  await push(events);
  await stack.sandbox.faults({ latencyMs: LATENCY_MS });
  return createExport(stack.service, stack.sandbox, keys, {
    ...body,
    merge_batches: false,
    rate_limit: 0,
    from: since,
  });
}

async function push(events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const res = await stack.service.push(events.slice(i, i + 100));
    expect(res.status).toBe(200);
    expect(res.body.quarantined).toEqual([]);
  }
}

/** Pause, apply the edit, resume: what an operator does on the export's page. */
async function pauseEditResume(id: string, patch: Record<string, unknown>): Promise<void> {
  expect((await stack.service.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
  expect((await stack.service.api('PATCH', `/v1/exports/${id}`, patch)).status).toBe(200);
  expect((await stack.service.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);
}

/** The promise for events that were selected the whole time: in the sandbox once, counted once, traced right. */
function expectAllAccounted(a: Accounting, label: string): void {
  const facts = `${label}: ${summary(a)}`;
  expect.soft(a.missing.length, `events mParticle never received: ${facts}`).toBe(0);
  expect.soft(a.duplicated.length, `events sent again under a new source_request_id: ${facts}`).toBe(0);
  expect.soft(a.missingTracedDelivered, `missing events whose trace says "delivered": ${facts}`).toEqual([]);
  expect.soft(a.receivedTracedOtherwise, `received events whose trace says otherwise: ${facts}`).toEqual([]);
}

describe('pause, edit, resume while chunks are in flight', { timeout: 120_000 }, () => {
  it('loses nothing when merge_batches is switched three times', async () => {
    const keys = feedKeys('pause-merge', ['unbound']);
    const key = keys.unbound!.key;
    const events = Array.from({ length: 4000 }, (_, i) => event(i % 2 ? SEND : OPEN, `pm-user-${i % 40}`));
    const id = await exportOf(keys, events, { name: 'pause, edit merge, resume', events: [SEND, OPEN] });

    for (const merge of [true, false, true]) {
      await sleep(MID_CHUNK_MS);
      await pauseEditResume(id, { merge_batches: merge });
    }
    await stack.sandbox.clearFaults();
    const { settled, status } = await settle(stack.service, id, 60_000);
    expect.soft(settled, `the feed settles: ${unsettledPartitions(status).join('; ')}`).toBe(true);

    const a = await account(stack.service, stack.sandbox, id, [key], events);
    expectAllAccounted(a, 'merge_batches switched three times');
    // Nothing was refused or dropped: every event counts as delivered, once.
    expect.soft(a.totals, `status totals: ${summary(a)}`).toMatchObject({
      delivered: events.length,
      skipped: 0,
      dead_lettered: 0,
      dropped: 0,
    });
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });

  it('loses none of the types still selected when the event types are narrowed twice', async () => {
    const keys = feedKeys('pause-types', ['unbound']);
    const key = keys.unbound!.key;
    const types = [SEND, OPEN, CLICK];
    const events = Array.from({ length: 4500 }, (_, i) => event(types[i % 3]!, `pt-user-${i % 40}`));
    const id = await exportOf(keys, events, { name: 'pause, narrow types, resume', events: types });

    for (const selected of [[SEND, OPEN], [SEND]]) {
      await sleep(MID_CHUNK_MS);
      await pauseEditResume(id, { events: selected });
    }
    await stack.sandbox.clearFaults();
    const { settled, status } = await settle(stack.service, id, 60_000);
    expect.soft(settled, `the feed settles: ${unsettledPartitions(status).join('; ')}`).toBe(true);

    // Sends were selected the whole time: every one of them must arrive and be counted once.
    const sends = events.filter((e) => e.event_type === SEND);
    const a = await account(stack.service, stack.sandbox, id, [key], sends);
    expectAllAccounted(a, 'types narrowed twice (Sends)');
    const row = (await statusOf(stack.service, id)).event_types.find((t) => t.type === SEND)!;
    expect
      .soft(row, `Send counters: ${JSON.stringify(row)}; ${summary(a)}`)
      .toMatchObject({ delivered: sends.length, skipped_no_external_user_id: 0, dead_lettered: 0, dropped: 0 });
    await stack.service.api('DELETE', `/v1/exports/${id}`);
  });
});
