import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../src/server/api.js';
import { HttpError } from '../../src/server/errors.js';
import { describeAjvErrors } from '../../src/server/issues.js';
import {
  createExportBody,
  idsBody,
  patchExportBody,
  replayBody,
  testEventsBody,
} from '../../src/server/exports/schemas.js';
import { createSourceBody } from '../../src/server/sources/schemas.js';
import { z } from 'zod';
import { adminHeaders, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Every refused request says, in sentences, what to change, field by field: zod's own phrasing ("Too small: expected
 * string to have >=1 characters", "Invalid input") never reaches anyone, whichever kind of issue it was.
 */

const RAW =
  /Too small|Too big|expected string|expected number|Invalid input|Invalid option|Unrecognized key|Invalid (URL|email|ISO)|received undefined|>=/;

const goodExport = {
  name: 'Production mParticle',
  contact_email: 'data-team@example.com',
  destination: { pod: 'US1' },
  feeds: { unbound: { key: 'k', secret: 's' } },
};

function refusal(
  schema: Parameters<typeof parse>[0],
  value: unknown,
): { error: string; fields: Record<string, string> } {
  try {
    parse(schema, value, 'body');
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    const h = e as HttpError;
    expect(h.status).toBe(400);
    expect(h.code).toBe('invalid_request');
    return { error: h.message, fields: h.details.fields as Record<string, string> };
  }
  throw new Error('the value was accepted');
}

// The replay body takes its times as text (its route words range mistakes itself), so zod's own messages for a
// missing field and a bad time are checked on a schema of the same shape that keeps zod's defaults.
const zodDefaults = z.object({ from: z.iso.datetime({ offset: true }) }).strict();

// [what, schema, value, field, sentence the field gets]
const TABLE: [string, Parameters<typeof parse>[0], unknown, string, RegExp][] = [
  ['missing', createExportBody, { ...goodExport, contact_email: undefined }, 'contact_email', /valid email address/],
  ['missing (zod default)', zodDefaults, {}, 'from', /^from is required: a time such as 2026-11-01T00:00:00Z$/],
  [
    'too small (empty string)',
    testEventsBody,
    { external_user_id: '' },
    'external_user_id',
    /^external_user_id must not be empty: give the customer id/,
  ],
  ['too small (empty list)', testEventsBody, { types: [] }, 'types', /^types must list at least one item/],
  ['too small (number)', createExportBody, { ...goodExport, rate_limit: -1 }, 'rate_limit', /must be at least 0/],
  [
    'too small (exclusive)',
    createExportBody,
    { ...goodExport, hold_window_hours: 0 },
    'hold_window_hours',
    /must be greater than 0/,
  ],
  ['too big', createExportBody, { ...goodExport, rate_limit: 100_001 }, 'rate_limit', /must be at most 100000/],
  ['too big (string)', patchExportBody, { name: 'x'.repeat(201) }, 'name', /at most 200 characters/],
  [
    'wrong type',
    createExportBody,
    { ...goodExport, merge_batches: 'yes' },
    'merge_batches',
    /^merge_batches must be true or false, not text$/,
  ],
  ['wrong type (int)', idsBody, { ids: [1.5] }, 'ids.0', /^ids\.0 must be a whole number/],
  ['wrong type (list)', testEventsBody, { types: 'x' }, 'types', /must be a list \(a JSON array\), not text/],
  [
    'enum',
    createExportBody,
    { ...goodExport, environment: 'staging' },
    'environment',
    /^environment must be one of "production" or "development"$/,
  ],
  [
    'enum in a union',
    createExportBody,
    { ...goodExport, destination: { pod: 'MARS' } },
    'destination.pod',
    /^destination\.pod must be one of "US1", "US2", "EU1" or "AU1"/,
  ],
  [
    'unrecognized key',
    patchExportBody,
    { nmae: 'x' },
    'nmae',
    /^nmae is not a setting this request takes: remove it \(or check its spelling\)$/,
  ],
  [
    'bad url',
    createExportBody,
    { ...goodExport, destination: { base_url: 'not a url' } },
    'destination.base_url',
    /must be a URL such as https:\/\/example\.com/,
  ],
  [
    'bad email',
    patchExportBody,
    { contact_email: 'nobody' },
    'contact_email',
    /must be an email address such as data-team@example\.com/,
  ],
  ['bad datetime', zodDefaults, { from: 'yesterday' }, 'from', /must be a time such as 2026-11-01T00:00:00Z/],
  ['custom message kept', createExportBody, { ...goodExport, name: ' ' }, 'name', /^give the export a name$/],
  ['source kind', createSourceBody, { kind: 'ftp', name: 'x' }, 'kind', /choose the kind of source/],
];

describe('zod issues as sentences, over the real schemas', () => {
  it.each(TABLE)('%s', (_what, schema, value, field, sentence) => {
    const { error, fields } = refusal(schema, value);
    expect(fields[field]).toMatch(sentence);
    expect(error).toContain(fields[field]);
    expect(error).toMatch(/^the body needs (a change|\d+ changes): /);
    for (const text of [error, ...Object.values(fields)]) expect(text).not.toMatch(RAW);
  });

  it('names every field at once, not just the first', () => {
    const { error, fields } = refusal(createExportBody, {
      name: '',
      contact_email: 'x',
      destination: { pod: 'XX' },
      feeds: {},
      rate_limit: 'fast',
      extra: 1,
    });
    expect(Object.keys(fields).sort()).toEqual(
      ['contact_email', 'destination.pod', 'extra', 'feeds', 'name', 'rate_limit'].sort(),
    );
    expect(error).toMatch(/^the body needs 6 changes: /);
    expect(error).not.toMatch(RAW);
  });

  it('names a file the CLI read as the file', () => {
    try {
      parse(replayBody, [], './replay.json');
      expect.unreachable();
    } catch (e) {
      expect((e as HttpError).message).toBe(
        'the file ./replay.json needs a change: the file ./replay.json must be an object (a JSON {...}), not a list.',
      );
    }
  });

  it('never quotes a refused value back (it may be a secret)', () => {
    const { error, fields } = refusal(createExportBody, {
      ...goodExport,
      feeds: { unbound: { key: 'k', secret: 12345678901 } },
    });
    expect(fields['feeds.unbound.secret']).toMatch(/must be text/);
    expect(JSON.stringify({ error, fields })).not.toContain('12345678901');
  });
});

describe("Fastify's own (ajv) validation errors, should a route declare a JSON schema", () => {
  it('become one sentence per field too', () => {
    const fields = describeAjvErrors(
      [
        {
          instancePath: '',
          keyword: 'required',
          params: { missingProperty: 'events' },
          message: "must have required property 'events'",
        },
        {
          instancePath: '',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'evnts' },
          message: 'must NOT have additional properties',
        },
        { instancePath: '/limit', keyword: 'maximum', params: { limit: 500 }, message: 'must be <= 500' },
      ],
      'querystring',
    );
    expect(fields).toEqual({
      events: 'events is required',
      evnts: 'evnts is not a setting this request takes: remove it (or check its spelling)',
      limit: 'limit must be <= 500',
    });
  });
});

describe('the API answers with those sentences', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function post(url: string, body: unknown) {
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return {
      status: res.statusCode,
      body: res.json<{ error: string; code: string; fields?: Record<string, string> }>(),
    };
  }

  it('on every route with a body, each refusal is sentences with a fields map and no raw validator text', async () => {
    const created = await post('/v1/exports', {
      ...goodExport,
      destination: { base_url: 'http://127.0.0.1:9' },
      events: ['users.messages.email.Send'],
    });
    expect(created.status).toBe(201);
    const id = (created.body as unknown as { id: string }).id;
    const cases: [string, unknown, string][] = [
      ['/v1/exports', { name: '', contact_email: 'x', feeds: {}, destination: {} }, 'name'],
      [`/v1/exports/${id}/test-events`, { external_user_id: '' }, 'external_user_id'],
      [`/v1/exports/${id}/test-events`, { types: ['users.messages.sms.Delivery'] }, 'types'],
      [`/v1/exports/${id}/replay`, { from: 'last week' }, 'from'],
      [`/v1/exports/${id}/replay`, { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'from'],
      [`/v1/exports/${id}/dead-letters/retry`, { ids: ['one'] }, 'ids.0'],
      ['/v1/sources', { kind: 'http', name: '', colour: 'red' }, 'colour'],
      ['/v1/test-credentials', { destination: { pod: 'US1' } }, 'feeds'],
      ['/v1/quarantine/retry', { ids: 'all' }, 'ids'],
    ];
    for (const [url, body, field] of cases) {
      const res = await post(url, body);
      expect(res.status, url).toBe(400);
      expect(res.body.code).toBe('invalid_request');
      expect(res.body.fields?.[field], `${url} ${field}`).toBeTruthy();
      expect(res.body.error).toContain(res.body.fields![field]!.slice(0, 20));
      expect(JSON.stringify(res.body), url).not.toMatch(RAW);
    }
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/exports/${id}`,
      headers: { ...adminHeaders, 'content-type': 'application/json' },
      payload: JSON.stringify({ hold_window_hours: 'two days', environment: 'qa' }),
    });
    expect(patched.statusCode).toBe(400);
    const answer = patched.json<{ error: string; fields: Record<string, string> }>();
    expect(answer.fields.hold_window_hours).toMatch(/^hold_window_hours must be a number, not text/);
    expect(answer.fields.environment).toMatch(/^environment must be one of "production" or "development"/);
    expect(answer.error).toMatch(/^the body needs 2 changes: /);
  });
});

describe('413 on a JSON route says the limit it hit and the setting that raises it', () => {
  it('on an admin route, in-process and over a real socket', async () => {
    const t = await startTestApp({ flags: { bodyLimit: 2048 } });
    try {
      const body = JSON.stringify({ ...goodExport, name: 'x'.repeat(3000) });
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/exports',
        headers: { ...adminHeaders, 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode).toBe(413);
      const answer = res.json<{ error: string; code: string; limit_bytes: number; setting: string }>();
      expect(answer).toMatchObject({ code: 'body_too_large', limit_bytes: 2048, setting: 'CURRENTS_BODY_LIMIT_BYTES' });
      expect(answer.error).toBe(
        'the body is larger than the 2,048 bytes (2 KiB) this service accepts; send a smaller body, ' +
          'or raise the limit with --body-limit (CURRENTS_BODY_LIMIT_BYTES)',
      );
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const address = t.app.server.address() as { port: number };
      const real = await fetch(`http://127.0.0.1:${address.port}/v1/sources`, {
        method: 'POST',
        headers: { ...adminHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'http', name: 'y'.repeat(4000) }),
      });
      expect(real.status).toBe(413);
      expect(((await real.json()) as { error: string }).error).toContain('2,048 bytes');
    } finally {
      await t.close();
    }
  });
});
