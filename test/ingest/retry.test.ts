import { describe, expect, it } from 'vitest';
import { parsePush } from '../../src/ingest/push.js';
import { retryQuarantined } from '../../src/ingest/retry.js';
import { sampleEvent } from '../catalog/samples.js';

const ctx = { receivedAt: 5_000, partitions: 8 };

describe('retryQuarantined', () => {
  it('accepts a record once it is fixed, in the flat or the nested form', () => {
    const bad = sampleEvent('users.messages.email.Send', { id: 'q1', overrides: { email_address: 5 } });
    const pushed = parsePush({ events: [bad] }, { ...ctx, requestId: 'r', maxEvents: 100, source: 'default' });
    if (!pushed.ok) throw new Error('unexpected');
    const raw = pushed.quarantined[0]!.raw;

    const again = retryQuarantined(raw, ctx);
    expect(again).toEqual({ ok: false, reason: pushed.rejected[0]!.reason });

    const fixed = retryQuarantined(raw.replace('"email_address":5', '"email_address":"a@example.com"'), ctx);
    expect(fixed.ok).toBe(true);
    if (fixed.ok)
      expect(fixed.event).toMatchObject({ eventId: 'q1', receivedAt: 5_000, type: 'users.messages.email.Send' });

    const nested = JSON.stringify({
      event_type: 'users.messages.pushnotification.Open',
      id: 'q2',
      time: 10,
      user: { user_id: 'u' },
      properties: { app_id: 'a', platform: 'android', app_group_id: 'g', send_id: 's', dispatch_id: 'd' },
    });
    const result = retryQuarantined(nested, ctx);
    expect(result.ok ? result.event.platform : result.reason).toBe('android');
  });

  it('says when the text is not JSON or not one event', () => {
    const notJson = retryQuarantined('{"id": ', ctx);
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.reason).toMatch(/not valid JSON .*: correct its text and retry/);
    const list = retryQuarantined('[1,2]', ctx);
    expect(list.ok ? '' : list.reason).toMatch(/not a JSON object/);
  });
});
