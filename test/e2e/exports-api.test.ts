import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAPPABLE_TYPES, PARTNER_PAGE_TYPES } from '../../src/catalog/catalog.js';
import { deliveredIds, event, feedKeys, waitFor, useStack } from './harness.js';

/** The exports API as a user drives it: validation, write-only secrets, settings that change what is sent. */

const stack = useStack();

const base = () => ({
  name: 'Production mParticle',
  contact_email: 'data-team@example.com',
  destination: { base_url: stack.sandbox.url },
  feeds: { unbound: { key: 'api-key', secret: 'the-very-secret-secret' } },
});

interface ExportView {
  id: string;
  events: string[];
  feeds: Record<string, { key: string; secret_set: boolean }>;
  hold_window_hours: number;
  identity: string;
  event_names: Record<string, string>;
  state: string;
}

describe('exports API', () => {
  it('creates with the defaults of the seed: the 47 partner-page types, customer_id, a 48-hour hold window', async () => {
    const res = await stack.service.api<ExportView>('POST', '/v1/exports', base());
    expect(res.status).toBe(201);
    expect(res.body.events.sort()).toEqual([...PARTNER_PAGE_TYPES].sort());
    expect(res.body.events).toHaveLength(47);
    expect(res.body).toMatchObject({ identity: 'customer_id', hold_window_hours: 48, state: 'active' });
    const list = await stack.service.api<{ exports: { id: string }[] }>('GET', '/v1/exports');
    expect(list.body.exports.map((e) => e.id)).toContain(res.body.id);
  });

  it('refuses unknown and unmappable types by name, a missing feed, a bad email, naming each field', async () => {
    const res = await stack.service.api<{ error: string; fields: Record<string, string> }>('POST', '/v1/exports', {
      ...base(),
      contact_email: 'not-an-email',
      feeds: {},
      events: ['users.messages.email.Send', 'users.messages.nope.Send', 'users.behaviors.Purchase'],
    });
    expect(res.status).toBe(400);
    expect(res.body.fields['events.1']).toContain('users.messages.nope.Send is not a Currents event type');
    expect(res.body.fields['events.2']).toContain('users.behaviors.Purchase has no mParticle mapping');
    expect(res.body.fields.contact_email).toBeDefined();
    expect(res.body.fields.feeds).toContain('at least one feed');
  });

  it('never returns a secret, keeps it encrypted at rest, and lets one be replaced on its own', async () => {
    const created = await stack.service.api<ExportView>('POST', '/v1/exports', base());
    const text = JSON.stringify(created.body);
    expect(text).not.toContain('the-very-secret-secret');
    expect(created.body.feeds.unbound).toEqual({ key: 'api-key', secret_set: true });
    const got = await stack.service.api('GET', `/v1/exports/${created.body.id}`);
    expect(JSON.stringify(got.body)).not.toContain('the-very-secret-secret');
    const list = await stack.service.api('GET', '/v1/exports');
    expect(JSON.stringify(list.body)).not.toContain('the-very-secret-secret');
    const patched = await stack.service.api<ExportView>('PATCH', `/v1/exports/${created.body.id}`, {
      feeds: { unbound: { secret: 'another-secret-value' } },
    });
    expect(patched.body.feeds.unbound).toEqual({ key: 'api-key', secret_set: true });
    // Neither secret is anywhere in the data folder's files in clear text.
    for (const name of readdirSync(stack.service.dataDir)) {
      const content = readFileSync(join(stack.service.dataDir, name)).toString('latin1');
      expect(content.includes('the-very-secret-secret'), name).toBe(false);
      expect(content.includes('another-secret-value'), name).toBe(false);
    }
  });

  it('maps the external user id to the identity chosen, and names events with the channel-qualified preset', async () => {
    const keys = feedKeys('identity', ['unbound']);
    await stack.sandbox.addFeed(keys.unbound!.key, keys.unbound!.secret);
    const created = await stack.service.api<ExportView>('POST', '/v1/exports', {
      ...base(),
      feeds: keys,
      events: ['users.messages.line.Send', 'users.messages.rcs.Send'],
      identity: 'other_id_3',
      event_names_preset: 'channel_qualified',
    });
    expect(created.status).toBe(201);
    expect(created.body.event_names['users.messages.line.Send']).toBe('LINE Sends');
    const line = event('users.messages.line.Send', 'who-1');
    const rcs = event('users.messages.rcs.Send', 'who-2');
    await stack.service.push([line, rcs]);
    const batches = await waitFor(async () => {
      const b = await stack.sandbox.batches(keys.unbound!.key);
      return b.length === 2 ? b : undefined;
    }, 'both events');
    const names = batches.map((b) => b.batch.events[0]!.data.event_name).sort();
    expect(names).toEqual(['LINE Sends', 'RCS Sends']);
    for (const b of batches) {
      expect(b.batch.user_identities.other_id_3).toMatch(/^who-/);
      expect(b.batch.user_identities.customer_id).toBeUndefined();
    }
  });

  it('starts from the log position at creation, or from the earliest event with "from": "earliest"', async () => {
    const before = event('users.messages.email.Send', 'early-bird');
    await stack.service.push([before]);
    const nowKeys = feedKeys('from-now', ['unbound']);
    const earliestKeys = feedKeys('from-earliest', ['unbound']);
    for (const k of [nowKeys, earliestKeys]) await stack.sandbox.addFeed(k.unbound!.key, k.unbound!.secret);
    await stack.service.api('POST', '/v1/exports', {
      ...base(),
      feeds: nowKeys,
      events: ['users.messages.email.Send'],
    });
    await stack.service.api('POST', '/v1/exports', {
      ...base(),
      feeds: earliestKeys,
      events: ['users.messages.email.Send'],
      from: 'earliest',
    });
    const after = event('users.messages.email.Send', 'late-bird');
    await stack.service.push([after]);
    const early = await waitFor(async () => {
      const ids = await deliveredIds(stack.sandbox, [earliestKeys.unbound!.key]);
      return ids.has(before.id as string) && ids.has(after.id as string) ? ids : undefined;
    }, 'the backfill to reach the "earliest" export');
    expect(early.size).toBeGreaterThanOrEqual(2);
    const fromNow = await waitFor(async () => {
      const ids = await deliveredIds(stack.sandbox, [nowKeys.unbound!.key]);
      return ids.has(after.id as string) ? ids : undefined;
    }, 'the new event to reach the "now" export');
    expect(fromNow.has(before.id as string)).toBe(false);
  });

  it('tests credentials: one result per distinct key, saying which mParticle accepts', async () => {
    await stack.sandbox.addFeed('good-key', 'good-secret');
    const res = await stack.service.api<{ feeds: { slots: string[]; accepted: boolean; status: number | null }[] }>(
      'POST',
      '/v1/test-credentials',
      {
        destination: { base_url: stack.sandbox.url },
        feeds: {
          ios: { key: 'good-key', secret: 'good-secret' },
          android: { key: 'good-key', secret: 'good-secret' },
          web: { key: 'bad-key', secret: 'nope' },
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.feeds).toEqual([
      expect.objectContaining({ slots: ['ios', 'android'], accepted: true }),
      expect.objectContaining({ slots: ['web'], accepted: false, status: 403 }),
    ]);
  });

  it('deletes an export and answers 404 for it afterwards; the admin token is required everywhere', async () => {
    const created = await stack.service.api<ExportView>('POST', '/v1/exports', base());
    expect((await stack.service.api('DELETE', `/v1/exports/${created.body.id}`)).status).toBe(204);
    expect((await stack.service.api('GET', `/v1/exports/${created.body.id}`)).status).toBe(404);
    const anonymous = await fetch(`${stack.service.url}/v1/exports`);
    expect(anonymous.status).toBe(401);
  });

  it('describes every route in /openapi.json, generated from the request schemas', async () => {
    const doc = (await (await fetch(`${stack.service.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }
        >
      >;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/currents',
        '/v1/exports',
        '/v1/exports/{id}',
        '/v1/exports/{id}/status',
        '/v1/exports/{id}/replay',
      ]),
    );
    const create = doc.paths['/v1/exports']!.post!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(create.properties!)).toEqual(
      expect.arrayContaining([
        'name',
        'contact_email',
        'destination',
        'feeds',
        'events',
        'identity',
        'hold_window_hours',
      ]),
    );
    expect(MAPPABLE_TYPES.length).toBe(69);
  });
});
