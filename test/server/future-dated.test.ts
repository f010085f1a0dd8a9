import { afterEach, describe, expect, it } from 'vitest';
import { adminHeaders, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { nestedEvent } from '../helpers/events.js';

/**
 * An event dated more than a day after it arrives is accepted and kept, and counted: a metric by source and type,
 * and in the status of each export that takes it, with a warning saying what to check.
 */

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const DAY = 86_400;

function dated(type: string, id: string, time: number): Record<string, unknown> {
  return { ...nestedEvent(type, { id }), time };
}

describe('future-dated events', () => {
  it('are stored, counted by source and type in /metrics, and warned of in the status of exports taking them', async () => {
    t = await startTestApp();
    const app = t.app;
    const created = await app.inject({
      method: 'POST',
      url: '/v1/exports',
      headers: adminHeaders,
      payload: {
        name: 'Future check',
        contact_email: 'data-team@example.com',
        destination: { base_url: 'http://127.0.0.1:9' },
        feeds: { unbound: { key: 'k', secret: 's' } },
        events: ['users.messages.email.Send'],
      },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    await t.engine.stop();

    const now = Math.floor(Date.now() / 1000);
    const push = await app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(),
      payload: {
        events: [
          dated('users.messages.email.Send', 'f-1', now + 2 * DAY),
          dated('users.messages.email.Send', 'f-2', now + 30 * DAY),
          dated('users.messages.email.Send', 'near', now + 3600),
          dated('users.messages.email.Send', 'past', now - 3600),
          dated('users.messages.email.Open', 'f-other-type', now + 5 * DAY),
        ],
      },
    });
    expect(push.statusCode).toBe(200);
    expect(push.json()).toMatchObject({ stored: 5, duplicates: [], quarantined: [] });
    // Sent again: duplicates, not counted twice.
    const again = await app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(),
      payload: { events: [dated('users.messages.email.Send', 'f-1', now + 2 * DAY)] },
    });
    expect(again.json()).toMatchObject({ stored: 0, duplicates: [0] });

    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(
      'currents_events_future_dated_total{source="default",type="users.messages.email.Send"} 2',
    );
    expect(metrics).toContain(
      'currents_events_future_dated_total{source="default",type="users.messages.email.Open"} 1',
    );

    const status = (await app.inject({ url: `/v1/exports/${id}/status`, headers: adminHeaders })).json<{
      future_dated: {
        events: number;
        newest_event_time: string;
        by_source_type: { source: string; type: string; events: number }[];
      };
      warnings: string[];
    }>();
    expect(status.future_dated).toMatchObject({
      events: 2,
      newest_event_time: new Date((now + 30 * DAY) * 1000).toISOString(),
      by_source_type: [{ source: 'default', type: 'users.messages.email.Send', events: 2 }],
    });
    const warning = status.warnings.find((w) => w.includes('dated more than a day'));
    expect(warning).toBe(
      `2 events were dated more than a day after receipt (the newest for ${new Date((now + 30 * DAY) * 1000).toISOString()}, ` +
        'from default): they were kept and are sent with that time. Check the sender\'s clock, and that "time" is in ' +
        'UNIX seconds, not milliseconds.',
    );
  });

  it('leave the status of an export that does not take them without a warning', async () => {
    t = await startTestApp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/exports',
      headers: adminHeaders,
      payload: {
        name: 'Opens only',
        contact_email: 'data-team@example.com',
        destination: { base_url: 'http://127.0.0.1:9' },
        feeds: { unbound: { key: 'k', secret: 's' } },
        events: ['users.messages.email.Open'],
      },
    });
    const id = created.json<{ id: string }>().id;
    await t.engine.stop();
    const now = Math.floor(Date.now() / 1000);
    await t.app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(),
      payload: { events: [dated('users.messages.email.Send', 'x', now + 9 * DAY)] },
    });
    const status = (await t.app.inject({ url: `/v1/exports/${id}/status`, headers: adminHeaders })).json<{
      future_dated: { events: number; newest_event_time: string | null };
      warnings: string[];
    }>();
    expect(status.future_dated).toMatchObject({ events: 0, newest_event_time: null });
    expect(status.warnings.some((w) => w.includes('dated more than a day'))).toBe(false);
  });
});
