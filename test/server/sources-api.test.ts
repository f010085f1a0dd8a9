import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/secrets.js';
import type { SourceConfig } from '../../src/types.js';
import { adminHeaders, startTestApp, type TestApp } from '../helpers/app.js';

/** The sources admin API in-process over a real SQLite file: create, read, change, pause, delete, and what it refuses. */

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
  await t.engine.stop();
});
afterEach(async () => {
  await t.close();
});

function admin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) {
  return t.app.inject({ method, url, headers: adminHeaders, ...(payload !== undefined ? { payload } : {}) });
}

const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const CONNECTION_STRING =
  'DefaultEndpointsProtocol=https;AccountName=brandc;AccountKey=c2VjcmV0LWF6dXJlLWtleS0wMTIzNDU2Nzg5;EndpointSuffix=core.windows.net';
const CREDENTIALS_JSON = JSON.stringify({
  type: 'service_account',
  client_email: 'x@p.iam',
  private_key: 'PRIVATE-KEY-D',
});

const s3 = {
  id: 'brand-b',
  name: 'Brand B',
  kind: 's3',
  bucket: 'braze-currents',
  prefix: 'brand-b/',
  region: 'eu-west-1',
  access_key_id: 'AKIAEXAMPLE',
  secret_access_key: SECRET_ACCESS_KEY,
  endpoint: 'http://127.0.0.1:9000',
  force_path_style: true,
  poll_interval_seconds: 60,
  from: '2026-11-01T00:00:00Z',
};
const azure = { name: 'Brand C', kind: 'azure_blob', container: 'currents', connection_string: CONNECTION_STRING };
const gcs = {
  name: 'Brand D',
  kind: 'gcs',
  bucket: 'currents',
  credentials_json: CREDENTIALS_JSON,
  api_endpoint: 'http://127.0.0.1:4443',
};

describe('sources API', () => {
  it('creates an http source and shows its token once; only a hash of it is kept', async () => {
    const res = await admin('POST', '/v1/sources', { name: 'Brand A production', kind: 'http' });
    expect(res.statusCode).toBe(201);
    const created = res.json<{ id: string; token: string; own_token: boolean }>();
    expect(created.id).toMatch(/^src_[0-9a-f]{12}$/);
    expect(created.token.length).toBeGreaterThanOrEqual(32);
    expect(created.own_token).toBe(true);

    const shown = [
      (await admin('GET', `/v1/sources/${created.id}`)).body,
      (await admin('GET', '/v1/sources')).body,
      (await admin('GET', `/v1/sources/${created.id}/status`)).body,
      (await admin('PATCH', `/v1/sources/${created.id}`, { name: 'Brand A' })).body,
    ];
    for (const body of shown) expect(body).not.toContain(created.token);
    expect(readFileSync(t.dbPath).toString('latin1')).not.toContain(created.token);
    expect(t.logs.join('\n')).not.toContain(created.token);
  });

  it('stores the settings of each kind of bucket, credentials encrypted and never returned', async () => {
    const ids: string[] = [];
    for (const body of [s3, azure, gcs]) {
      const res = await admin('POST', '/v1/sources', body);
      expect(res.statusCode).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    expect((await admin('GET', '/v1/sources/brand-b')).json()).toEqual({
      id: 'brand-b',
      name: 'Brand B',
      kind: 's3',
      state: 'active',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      bucket: 'braze-currents',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      force_path_style: true,
      access_key_id: 'AKIAEXAMPLE',
      secret_access_key_set: true,
      prefix: 'brand-b/',
      poll_interval_seconds: 60,
      from: '2026-11-01T00:00:00.000Z',
    });
    expect((await admin('GET', `/v1/sources/${ids[1]}`)).json()).toMatchObject({ connection_string_set: true });
    expect((await admin('GET', `/v1/sources/${ids[2]}`)).json()).toMatchObject({
      credentials_json_set: true,
      api_endpoint: 'http://127.0.0.1:4443',
      prefix: '',
      poll_interval_seconds: 60,
      from: null,
    });

    const everything = [
      (await admin('GET', '/v1/sources')).body,
      ...(await Promise.all(ids.map(async (id) => (await admin('GET', `/v1/sources/${id}`)).body))),
      readFileSync(t.dbPath).toString('latin1'),
      t.logs.join('\n'),
    ].join('\n');
    for (const secret of [SECRET_ACCESS_KEY, 'c2VjcmV0LWF6dXJlLWtleS0wMTIzNDU2Nzg5', 'PRIVATE-KEY-D']) {
      expect(everything).not.toContain(secret);
    }
    // What the pollers will read: the credentials, decrypted with the service's key.
    const box = new SecretBox('test-secret-key-0123456789abcdef0123456789');
    const config = (await t.store.getSource('brand-b'))!.config as Extract<SourceConfig, { kind: 's3' }>;
    expect(box.decrypt(config.secretAccessKeyEnc!)).toBe(SECRET_ACCESS_KEY);
  });

  it('changes settings of the kind, replaces a secret, and goes back to the default credential chain', async () => {
    await admin('POST', '/v1/sources', s3);
    const res = await admin('PATCH', '/v1/sources/brand-b', {
      prefix: 'b2/',
      endpoint: null,
      poll_interval_seconds: 30,
    });
    expect(res.json()).toMatchObject({
      prefix: 'b2/',
      endpoint: null,
      poll_interval_seconds: 30,
      bucket: 'braze-currents',
    });
    await admin('PATCH', '/v1/sources/brand-b', { secret_access_key: 'another-secret-value' });
    const box = new SecretBox('test-secret-key-0123456789abcdef0123456789');
    const stored = (await t.store.getSource('brand-b'))!.config as Extract<SourceConfig, { kind: 's3' }>;
    expect(box.decrypt(stored.secretAccessKeyEnc!)).toBe('another-secret-value');
    const chain = await admin('PATCH', '/v1/sources/brand-b', { access_key_id: null, secret_access_key: null });
    expect(chain.json()).toMatchObject({ access_key_id: null, secret_access_key_set: false });
  });

  it.each([
    ['no kind', { name: 'x' }, 'kind', /choose the kind of source: "http", "s3", "azure_blob" or "gcs"/],
    ['an unknown kind', { name: 'x', kind: 'ftp' }, 'kind', /choose the kind/],
    ['no name', { kind: 'http' }, 'name', /give the source a name/],
    ['an s3 source without a bucket', { name: 'x', kind: 's3' }, 'bucket', /the bucket name is required/],
    ['a bad bucket name', { name: 'x', kind: 's3', bucket: 'Bad_Bucket!' }, 'bucket', /3 to 63 lowercase/],
    [
      'a setting of another kind',
      { name: 'x', kind: 's3', bucket: 'abc', container: 'c' },
      'container',
      /not a setting of s3 sources \(they take/,
    ],
    [
      'one key of two',
      { name: 'x', kind: 's3', bucket: 'abc', access_key_id: 'AK' },
      'secret_access_key',
      /give both access_key_id and secret_access_key, or neither/,
    ],
    [
      'a poll every second',
      { ...azure, poll_interval_seconds: 1 },
      'poll_interval_seconds',
      /at most every 10 seconds/,
    ],
    [
      'a connection string that is not one',
      { ...azure, connection_string: 'hello' },
      'connection_string',
      /connection string.*AccountName/,
    ],
    [
      'credentials that are not JSON',
      { ...gcs, credentials_json: 'not json' },
      'credentials_json',
      /key file \(a JSON object\)/,
    ],
    ['a from that is not a time', { ...gcs, from: 'yesterday' }, 'from', /2026-11-01T00:00:00Z/],
    ['an endpoint that is not a URL', { ...gcs, api_endpoint: 'localhost' }, 'api_endpoint', /http\(s\) URL/],
    ['a bad id', { id: 'Brand A', name: 'x', kind: 'http' }, 'id', /lowercase letters, digits/],
    ['the id default', { id: 'default', name: 'x', kind: 'http' }, 'id', /built-in source/],
  ])('refuses %s with a 400 naming the field and what to change', async (_label, body, field, message) => {
    const res = await admin('POST', '/v1/sources', body);
    expect(res.statusCode).toBe(400);
    const answer = res.json<{ error: string; fields: Record<string, string> }>();
    expect(answer.fields[field]).toMatch(message);
    expect(answer.error).toContain(`${field}: `);
  });

  it('refuses a PATCH that changes the kind or uses a setting of another kind', async () => {
    await admin('POST', '/v1/sources', { id: 'brand-a', name: 'A', kind: 'http' });
    const kind = await admin('PATCH', '/v1/sources/brand-a', { kind: 's3' });
    expect(kind.statusCode).toBe(400);
    expect(kind.json<{ fields: Record<string, string> }>().fields.kind).toMatch(/keeps its kind \(http\)/);
    const other = await admin('PATCH', '/v1/sources/brand-a', { bucket: 'abc' });
    expect(other.json<{ fields: Record<string, string> }>().fields.bucket).toMatch(/not a setting of http sources/);
    await admin('POST', '/v1/sources', s3);
    const half = await admin('PATCH', '/v1/sources/brand-b', { secret_access_key: null });
    expect(half.statusCode).toBe(400);
    expect((await admin('PATCH', '/v1/sources/nope', { name: 'x' })).statusCode).toBe(404);
  });

  it('refuses an id taken now or before, and deletes only what may go', async () => {
    await admin('POST', '/v1/sources', { id: 'brand-a', name: 'A', kind: 'http' });
    const taken = await admin('POST', '/v1/sources', { id: 'brand-a', name: 'A again', kind: 'http' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json<{ error: string }>().error).toMatch(/already exists: choose another id/);

    const builtIn = await admin('DELETE', '/v1/sources/default');
    expect(builtIn.statusCode).toBe(409);
    expect(builtIn.json<{ error: string }>().error).toMatch(/cannot be deleted; pause it/);

    await t.store.createExport({ ...exportRecord(), sources: ['brand-a'] });
    const inUse = await admin('DELETE', '/v1/sources/brand-a');
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json<{ error: string }>().error).toMatch(/Only brand A \(exp_only\).*remove it from their "sources"/);
    await t.store.deleteExport('exp_only');

    expect((await admin('DELETE', '/v1/sources/brand-a')).statusCode).toBe(204);
    expect((await admin('GET', '/v1/sources/brand-a')).statusCode).toBe(404);
    const again = await admin('POST', '/v1/sources', { id: 'brand-a', name: 'A', kind: 'http' });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ error: string }>().error).toMatch(/was deleted.*choose another id/);
  });

  it('lists sources with what each received and when, and its lag', async () => {
    const now = Date.now();
    await admin('POST', '/v1/sources', { id: 'brand-a', name: 'A', kind: 'http' });
    const event = { event_type: 'users.messages.email.Send', id: 'lag-1', time: Math.floor(now / 1000) - 120 };
    await t.app.inject({
      method: 'POST',
      url: '/v1/currents?source=brand-a',
      headers: { authorization: `Bearer test-ingest-token-0123456789abcdef`, 'content-type': 'application/json' },
      payload: { events: [event] },
    });
    const { sources } = (await admin('GET', '/v1/sources')).json<{ sources: Record<string, unknown>[] }>();
    expect(sources.map((s) => s.id)).toEqual(['default', 'brand-a']);
    expect(sources[0]).toMatchObject({ received_events: 0, last_received_at: null, lag_seconds: null });
    const a = sources[1]!;
    expect(a).toMatchObject({ received_events: 1, newest_event_time: new Date(event.time * 1000).toISOString() });
    expect(Date.parse(a.last_received_at as string)).toBeGreaterThanOrEqual(now - 1000);
    expect(a.lag_seconds).toBeGreaterThanOrEqual(119);
    expect(a.lag_seconds).toBeLessThan(130);
    const status = (await admin('GET', '/v1/sources/brand-a/status')).json();
    expect(status).toMatchObject({ id: 'brand-a', received_events: 1, last_error: null, exports: [] });
  });
});

function exportRecord() {
  return {
    id: 'exp_only',
    name: 'Only brand A',
    contactEmail: 'ops@example.com',
    destination: { pod: 'US1' as const },
    environment: 'development' as const,
    feeds: { unbound: { key: 'k', secretEnc: 'v1:x' } },
    events: ['users.messages.email.Send'],
    identity: 'customer_id' as const,
    eventNames: {},
    mergeBatches: true,
    holdWindowHours: 48,
    rateLimit: 270,
    state: 'paused' as const,
    startSeq: 0,
    createdAt: 1,
    updatedAt: 1,
  };
}
