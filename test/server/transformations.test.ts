import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { adminHeaders, INGEST_TOKEN, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';

/** Field transformations through the HTTP API, in-process over a real SQLite file, with no sender running. */

const SEND = 'users.messages.email.Send';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
  await t.engine.stop();
});
afterEach(async () => {
  await t.close();
});

function admin(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) {
  return t.app.inject({ method, url, headers: adminHeaders, ...(payload !== undefined ? { payload } : {}) });
}

const exportBody = (over: Record<string, unknown> = {}) => ({
  name: 'Hashed',
  contact_email: 'data@example.com',
  destination: { base_url: 'http://127.0.0.1:9' },
  feeds: { unbound: { key: 'k', secret: 's' } },
  events: [SEND],
  ...over,
});

interface View {
  id: string;
  transformations: { field: string; action: string }[];
  warnings: string[];
}

describe('field transformations in the API', () => {
  it('refuses a field no catalog type has, naming the near ones, and a field listed twice', async () => {
    const res = await admin(
      'POST',
      '/v1/exports',
      exportBody({
        transformations: [
          { field: 'email_adress', action: 'hash' },
          { field: 'campaign_nam', action: 'remove' },
          { field: 'xyzzy_plugh_quux', action: 'remove' },
          { field: 'to_phone_number', action: 'hash' },
          { field: 'to_phone_number', action: 'remove' },
          { field: 'id', action: 'hash' },
        ],
      }),
    );
    expect(res.statusCode).toBe(400);
    const fields = res.json<{ fields: Record<string, string> }>().fields;
    expect(fields['transformations.0.field']).toMatch(
      /no Currents event type has a field email_adress: did you mean email_address/,
    );
    expect(fields['transformations.1.field']).toMatch(/did you mean campaign_name/);
    expect(fields['transformations.2.field']).toBe(
      'no Currents event type has a field xyzzy_plugh_quux: GET /v1/catalog lists every field.',
    );
    expect(fields['transformations.4.field']).toMatch(/to_phone_number is listed twice \(entries 3 and 4\)/);
    expect(fields['transformations.5.field']).toMatch(/id cannot be transformed: the service needs the event id/);
    expect(fields['transformations.3.field']).toBeUndefined();

    const badAction = await admin(
      'POST',
      '/v1/exports',
      exportBody({ transformations: [{ field: 'email_address', action: 'encrypt' }] }),
    );
    expect(badAction.statusCode).toBe(400);
    expect(badAction.json<{ fields: Record<string, string> }>().fields['transformations.0.action']).toMatch(
      /action must be "remove"/,
    );
    expect((await admin('GET', '/v1/exports')).json<{ exports: unknown[] }>().exports).toEqual([]);
  });

  it('stores them, answers with warnings when an identity is hashed or removed, and a PATCH replaces the list', async () => {
    const created = await admin(
      'POST',
      '/v1/exports',
      exportBody({
        transformations: [
          { field: 'external_user_id', action: 'hash' },
          { field: 'email_address', action: 'remove' },
          { field: 'campaign_name', action: 'hash' },
        ],
      }),
    );
    expect(created.statusCode).toBe(201);
    const view = created.json<View>();
    expect(view.transformations).toEqual([
      { field: 'external_user_id', action: 'hash' },
      { field: 'email_address', action: 'remove' },
      { field: 'campaign_name', action: 'hash' },
    ]);
    expect(view.warnings).toHaveLength(2);
    expect(view.warnings[0]).toMatch(
      /external_user_id is hashed, and it is this export's customer_id identity: mParticle will resolve users by the hash/,
    );
    expect(view.warnings[1]).toMatch(/email_address is removed .* email identity/);
    expect((await admin('GET', `/v1/exports/${view.id}`)).json<View>()).toMatchObject({
      transformations: view.transformations,
      warnings: view.warnings,
    });

    // With the email identity taken by the external user id, email_address is no identity: no warning for it.
    const patched = await admin('PATCH', `/v1/exports/${view.id}`, {
      identity: 'email',
      transformations: [{ field: 'email_address', action: 'hash' }],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<View>()).toMatchObject({
      transformations: [{ field: 'email_address', action: 'hash' }],
      warnings: [],
    });

    const kept = await admin('PATCH', `/v1/exports/${view.id}`, { name: 'Renamed' });
    expect(kept.json<View>().transformations).toEqual([{ field: 'email_address', action: 'hash' }]);
    const none = await admin('PATCH', `/v1/exports/${view.id}`, { transformations: [] });
    expect(none.json<View>().transformations).toEqual([]);

    const refused = await admin('PATCH', `/v1/exports/${view.id}`, {
      transformations: [{ field: 'emial', action: 'hash' }],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ fields: Record<string, string> }>().fields['transformations.0.field']).toMatch(
      /no Currents event type has a field emial: did you mean .*email_address/,
    );
  });

  it('warns that a field never a string is left unchanged, and lists the transformations in the status', async () => {
    const created = await admin(
      'POST',
      '/v1/exports',
      exportBody({
        transformations: [
          { field: 'time', action: 'hash' },
          { field: 'campaign_name', action: 'remove' },
        ],
      }),
    );
    const view = created.json<View>();
    expect(view.warnings).toEqual([expect.stringMatching(/time is never a string in the catalog .*left unchanged/)]);
    const status = (await admin('GET', `/v1/exports/${view.id}/status`)).json<{
      transformations: unknown[];
      warnings: string[];
    }>();
    expect(status.transformations).toEqual([
      { field: 'time', action: 'hash', selected_types_with_field: 1, not_string: 0 },
      { field: 'campaign_name', action: 'remove', selected_types_with_field: 1, not_string: 0 },
    ]);
    expect(status.warnings).toContain(view.warnings[0]);
  });

  it('the trace shows the mapped event with the transformed values', async () => {
    const created = await admin(
      'POST',
      '/v1/exports',
      exportBody({
        from: 'earliest',
        transformations: [
          { field: 'email_address', action: 'hash' },
          { field: 'campaign_name', action: 'remove' },
        ],
      }),
    );
    const event = sampleEvent(SEND, {
      externalUserId: 'user-1',
      extra: { email_address: 'ann@example.com', campaign_name: 'Spring' },
    });
    const pushed = await t.app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(INGEST_TOKEN),
      payload: { events: [event] },
    });
    expect(pushed.statusCode).toBe(200);
    const trace = (await admin('GET', `/v1/events/${String(event.id)}`)).json<{
      exports: {
        export_id: string;
        mparticle: {
          envelope: { user_identities: Record<string, string> };
          event: { data: { custom_attributes: Record<string, string> } };
        };
      }[];
    }>();
    const mine = trace.exports.find((e) => e.export_id === created.json<View>().id)!;
    expect(mine.mparticle.envelope.user_identities).toEqual({ customer_id: 'user-1', email: sha('ann@example.com') });
    expect(mine.mparticle.event.data.custom_attributes.campaign_name).toBe('[REDACTED]');
    expect(JSON.stringify(mine.mparticle)).not.toContain('ann@example.com');
  });

  it('lists the fields a transformation may name in the catalog', async () => {
    const catalog = (await admin('GET', '/v1/catalog')).json<{
      fields: { name: string; types: string[]; value_types: string[] }[];
    }>();
    const email = catalog.fields.find((f) => f.name === 'email_address')!;
    expect(email.types).toContain(SEND);
    expect(email.value_types).toEqual(['string']);
    expect(catalog.fields.map((f) => f.name)).not.toContain('id');
  });

  it('describes transformations in /openapi.json', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).body;
    expect(doc).toContain('puts [REDACTED] in place of a string value');
  });
});
