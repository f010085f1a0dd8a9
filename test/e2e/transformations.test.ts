import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createExport, event, feedKeys, useStack, waitFor } from './harness.js';

/**
 * Field transformations through the built service and the sandbox process: what mParticle receives is hashed or
 * redacted wherever the field goes (identities, custom attributes, device info), the trace shows the same, the
 * status counts values left unchanged, and an edit applies to what is sent after it.
 */

const stack = useStack();

const SEND = 'users.messages.email.Send';
const PUSH = 'users.messages.pushnotification.Open';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

interface Received {
  batch: {
    user_identities: Record<string, string>;
    device_info?: Record<string, unknown>;
    events: { data: { custom_attributes: Record<string, string> } }[];
  };
}

describe('field transformations end to end', () => {
  it('sends hashed and redacted values everywhere the fields go, and the trace and status say so', async () => {
    const keys = feedKeys('tf', ['unbound', 'ios']);
    const id = await createExport(stack.service, stack.sandbox, keys, {
      name: 'Transformed',
      events: [SEND, PUSH],
      transformations: [
        { field: 'external_user_id', action: 'hash' },
        { field: 'email_address', action: 'hash' },
        { field: 'campaign_name', action: 'remove' },
        { field: 'device_id', action: 'hash' },
        { field: 'time', action: 'remove' },
      ],
    });
    const view = await stack.service.api<{ warnings: string[] }>('GET', `/v1/exports/${id}`);
    expect(view.body.warnings.join('\n')).toMatch(
      /external_user_id is hashed, and it is this export's customer_id identity/,
    );

    const mail = event(SEND, 'tf-user-1', { extra: { email_address: 'ann@example.com', campaign_name: 'Spring' } });
    const push = event(PUSH, 'tf-user-2', {
      platform: 'ios',
      appId: 'app-ios',
      extra: { device_id: '3f2a9c1e-0000-4000-8000-00000000beef', campaign_name: 'Spring' },
    });
    expect((await stack.service.push([mail, push])).status).toBe(200);

    const got = await waitFor(async () => {
      const all = [
        ...(await stack.sandbox.batches(keys.unbound!.key)),
        ...(await stack.sandbox.batches(keys.ios!.key)),
      ];
      return all.length >= 2 ? (all as Received[]) : undefined;
    }, 'both events to reach the sandbox');
    const text = JSON.stringify(got);
    for (const raw of ['tf-user-1', 'tf-user-2', 'ann@example.com', 'Spring', '3f2a9c1e-0000-4000-8000-00000000beef']) {
      expect(text, raw).not.toContain(raw);
    }
    const mailBatch = got.find((b) =>
      b.batch.events.some((e) => e.data.custom_attributes.source_request_id === mail.id),
    )!;
    expect(mailBatch.batch.user_identities).toEqual({ customer_id: sha('tf-user-1'), email: sha('ann@example.com') });
    expect(mailBatch.batch.events[0]!.data.custom_attributes.campaign_name).toBe('[REDACTED]');
    const pushBatch = got.find((b) =>
      b.batch.events.some((e) => e.data.custom_attributes.source_request_id === push.id),
    )!;
    expect(pushBatch.batch.user_identities.customer_id).toBe(sha('tf-user-2'));
    // mParticle takes ios_idfv only as a UUID: the hash is not put there, and the raw id is not sent.
    expect(pushBatch.batch.device_info?.ios_idfv).toBeUndefined();

    // The trace shows the mapped event with the transformed values, as the sandbox received it.
    const trace = await stack.service.api<{
      exports: {
        export_id: string;
        fate: string;
        mparticle: { envelope: { user_identities: Record<string, string> } };
      }[];
    }>('GET', `/v1/events/${mail.id as string}`);
    const mine = trace.body.exports.find((x) => x.export_id === id)!;
    expect(mine.mparticle.envelope.user_identities).toEqual(mailBatch.batch.user_identities);

    // time is a number in every type: left as it was, counted once per event.
    const status = await waitFor(async () => {
      const s = await stack.service.api<{ transformations: { field: string; not_string: number }[] }>(
        'GET',
        `/v1/exports/${id}/status`,
      );
      return s.body.transformations.find((t) => t.field === 'time')?.not_string === 2 ? s.body : undefined;
    }, 'the status to count the two times left unchanged');
    expect(status.transformations.find((t) => t.field === 'email_address')?.not_string).toBe(0);

    // After an edit, what is sent next carries the values as they are.
    expect((await stack.service.api('PATCH', `/v1/exports/${id}`, { transformations: [] })).status).toBe(200);
    const later = event(SEND, 'tf-user-3', { extra: { email_address: 'bob@example.com', campaign_name: 'Summer' } });
    expect((await stack.service.push([later])).status).toBe(200);
    const plain = await waitFor(async () => {
      const all = (await stack.sandbox.batches(keys.unbound!.key)) as Received[];
      return all.find((b) => b.batch.events.some((e) => e.data.custom_attributes.source_request_id === later.id));
    }, 'the event sent after the edit');
    expect(plain.batch.user_identities).toEqual({ customer_id: 'tf-user-3', email: 'bob@example.com' });
    expect(plain.batch.events[0]!.data.custom_attributes.campaign_name).toBe('Summer');
  }, 60_000);
});
