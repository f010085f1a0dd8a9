import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventTypeInfo } from '../../src/catalog/catalog.js';
import { formatSummary } from '../../src/cli/import.js';
import { importPaths } from '../../src/ingest/files.js';
import { parsePush, type PushResult } from '../../src/ingest/push.js';
import { buildBatches } from '../../src/mparticle/batches.js';
import { loadSchema, validateBatch } from '../../src/mparticle/schema.js';
import type { CurrentsEvent } from '../../src/types.js';
import { avroSchemaOf } from '../catalog/samples.js';
import { mapSink, storagePath, tempDir, writeAvro } from './fixtures.js';

/**
 * Every catalog type with nothing but what identifies and dates it (plus the external user id, where the type has
 * one, so that it can be delivered): accepted at ingest on every path, its gaps counted, and mapped to a batch
 * mParticle's schema accepts.
 */

const TIME = 1_764_300_000;
const ctx = { requestId: 'req-minimal', receivedAt: TIME * 1000, partitions: 16, maxEvents: 100, source: 'default' };
const SETTINGS = { environment: 'production', identity: 'customer_id', eventNames: {} } as const;

type Plugin = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsPlugin as unknown as Plugin & { default?: Plugin };
const ajvAsPublished = new Ajv({ strict: false });
(formatsModule.default ?? formatsModule)(ajvAsPublished);
const officialAsPublished = ajvAsPublished.compile(loadSchema('official'));

/** What the catalog calls non-nullable for the type, apart from the three fields every event must carry. */
function nonNullable(info: EventTypeInfo): string[] {
  return info.fields.filter((f) => !f.nullable && !['event_type', 'id', 'time'].includes(f.name)).map((f) => f.name);
}

function hasExternalUserId(info: EventTypeInfo): boolean {
  return info.fields.some((f) => f.name === 'external_user_id');
}

/** The type's leanest event in Braze's Custom HTTP form. */
function minimalPush(info: EventTypeInfo, id: string): Record<string, unknown> {
  const event: Record<string, unknown> = { event_type: info.name, id, time: TIME };
  if (hasExternalUserId(info)) event.user = { external_user_id: 'cust-1042' };
  return event;
}

function accepted(result: PushResult): Extract<PushResult, { ok: true }> {
  if (!result.ok) throw new Error(`the push was refused: ${result.error}`);
  expect(result.rejected).toEqual([]);
  return result;
}

describe('an event with only event_type, id and time, for every catalog type', () => {
  it.each(EVENT_TYPES.map((t) => [t.name, t] as const))('%s: accepted, its gaps counted, mapped', (_name, info) => {
    const id = randomUUID();
    const result = accepted(parsePush({ events: [minimalPush(info, id)] }, ctx));
    expect(result.events).toHaveLength(1);
    const missing = nonNullable(info);
    expect(result.lacking).toEqual(missing.length === 0 ? [] : [{ at: 0, type: info.name, fields: missing }]);

    const event = JSON.parse(result.events[0]!.payload) as CurrentsEvent;
    const built = buildBatches([{ seq: 1, event }], {
      settings: SETTINGS,
      merge: true,
      feedId: 'unbound',
      generation: 0,
      now: TIME * 1000,
    });
    if (info.mparticle === null) {
      expect(built.skipped).toEqual([{ seq: 1, type: info.name, reason: 'not_mappable' }]);
      return;
    }
    expect(built.invalid).toEqual([]);
    expect(built.tooLarge).toEqual([]);
    expect(built.batches).toHaveLength(1);
    const { batch, json } = built.batches[0]!;
    expect(validateBatch(batch, 'official')).toBeNull();
    expect(validateBatch(batch, 'live')).toBeNull();
    expect(officialAsPublished(batch)).toBe(true);
    expect(json).not.toMatch(/undefined|null|NaN/);
    expect(batch.user_identities).toEqual({ customer_id: 'cust-1042' });
    const [mp] = batch.events;
    expect(mp!.data.custom_attributes).toEqual({ source_request_id: id });
    expect(mp!.data.timestamp_unixtime_ms).toBe(TIME * 1000);
    if (mp!.event_type === 'custom_event') expect(mp!.data.event_name).toBe(info.mparticle.eventName);
  });

  it('counts user_id as missing only where the catalog makes it non-nullable', () => {
    const lackingUserId = (name: string): boolean => {
      const info = EVENT_TYPES.find((t) => t.name === name)!;
      const result = accepted(parsePush({ events: [minimalPush(info, randomUUID())] }, ctx));
      return result.lacking.some((l) => l.fields.includes('user_id'));
    };
    expect(lackingUserId('users.messages.inappmessage.Abort')).toBe(true);
    // Inbound SMS may come from a number no user has: its user_id is nullable.
    expect(lackingUserId('users.messages.sms.InboundReceive')).toBe(false);
    // Landing page events have no user_id at all.
    expect(lackingUserId('users.messages.landingpage.Click')).toBe(false);
  });
});

describe('the same rule for files', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it('imports every type, flat and without its non-nullable fields, from NDJSON, and sums the gaps', async () => {
    const lines = EVENT_TYPES.map((info) => {
      const event: Record<string, unknown> = { event_type: info.name, id: `f-${info.name}`, time: TIME };
      if (hasExternalUserId(info)) event.external_user_id = 'cust-1042';
      return JSON.stringify(event);
    });
    await writeFile(join(dir, 'minimal.ndjson'), `${lines.join('\n')}\n`);
    const { sink, log } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 16 });
    expect(summary).toMatchObject({ events: 100, stored: 100, quarantined: 0, failures: [] });
    expect(log.size).toBe(100);
    const expected = EVENT_TYPES.flatMap((info) => nonNullable(info).map((field) => `${info.name} ${field} 1`));
    expect(summary.missing.map((m) => `${m.type} ${m.field} ${m.count}`).sort()).toEqual(expected.sort());
  });

  it('imports Avro records whose writer schema lacks a field the catalog makes non-nullable', async () => {
    const type = 'users.messages.inappmessage.Abort';
    const schema = avroSchemaOf(type) as { fields: { name: string }[] };
    const older = { ...schema, fields: schema.fields.filter((f) => f.name !== 'version') };
    const records = [1, 2, 3].map((i) => ({
      ...Object.fromEntries(older.fields.map((f) => [f.name, null])),
      id: `avro-${i}`,
      time: TIME,
      user_id: 'u-1',
      external_user_id: 'cust-1042',
    }));
    await writeAvro(storagePath(dir, type, 'older'), older, records);
    const { sink, log } = mapSink();
    const summary = await importPaths([dir], { sink, partitions: 16 });
    expect(summary).toMatchObject({ events: 3, stored: 3, quarantined: 0, failures: [] });
    expect(JSON.parse(log.get('avro-2')!.payload)).not.toHaveProperty('version');
    expect(summary.missing).toEqual([{ type, field: 'version', count: 3 }]);
    expect(formatSummary(summary)).toContain(
      'events kept without a field the catalog marks non-nullable (only event_type, id and time are required):\n' +
        `  ${type}: version missing in 3\n`,
    );
  });
});
