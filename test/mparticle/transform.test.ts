import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, MAPPABLE_TYPES, eventType } from '../../src/catalog/catalog.js';
import { FIELDS } from '../../src/catalog/fields.js';
import { sampleEvent } from '../../src/catalog/sample.js';
import { buildBatches } from '../../src/mparticle/batches.js';
import { notStringFields, transformEvent } from '../../src/mparticle/transform.js';
import type { MapSettings, OutBatch } from '../../src/mparticle/types.js';
import type { CurrentsEvent, Transformation } from '../../src/types.js';

const SETTINGS: MapSettings = { environment: 'production', identity: 'customer_id', eventNames: {} };
/** Fields whose value decides the mapping itself (which device keys, which platform), kept as the sample has them. */
const KEEP_SAMPLE_VALUE = new Set(['platform', 'ad_id_type']);
const NOT_TRANSFORMABLE = new Set(['id', 'event_type']);
const UUID_DEVICE_KEYS = /^\.device_info\.(ios_idfv|ios_advertising_id|android_advertising_id|roku_advertising_id)$/;

const expected = (value: string, action: Transformation['action']) =>
  action === 'remove' ? '[REDACTED]' : createHash('sha256').update(Buffer.from(value, 'utf8')).digest('hex');

/** Every string leaf of a JSON value with its path. */
function leaves(value: unknown, path = '', out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
  }
  return out;
}

function onlyBatch(event: CurrentsEvent, transformations?: Transformation[]): OutBatch {
  const built = buildBatches([{ seq: 1, event }], {
    settings: { ...SETTINGS, ...(transformations ? { transformations } : {}) },
    merge: true,
    feedId: 'unbound',
    generation: 0,
    now: Date.now(),
  });
  const all = [...built.batches, ...built.invalid.map((r) => r.batch), ...built.tooLarge.map((r) => r.batch)];
  expect(all, `${event.event_type} should make one batch`).toHaveLength(1);
  return all[0]!;
}

describe('field transformations over the whole catalog', () => {
  it('hash is the lowercase hex SHA-256 of the UTF-8 text', () => {
    const e = { event_type: 'x', id: '1', time: 1, email_address: 'abc', name: 'héllo' } as CurrentsEvent;
    const out = transformEvent(e, [
      { field: 'email_address', action: 'hash' },
      { field: 'name', action: 'remove' },
    ]);
    expect(out.email_address).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(out.name).toBe('[REDACTED]');
    expect(e.email_address).toBe('abc');
    // UTF-8 bytes of "héllo", not UTF-16 or Latin-1.
    expect(transformEvent(e, [{ field: 'name', action: 'hash' }]).name).toBe(
      createHash('sha256')
        .update(Buffer.from([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]))
        .digest('hex'),
    );
  });

  it('every string field of every mappable type: the value leaves nowhere as it was, and each place it went carries the transformed value', () => {
    let pairs = 0;
    let placed = 0;
    const missing: string[] = [];
    for (const type of MAPPABLE_TYPES) {
      const info = eventType(type)!;
      const mapping = info.mparticle!;
      const mappedFields = new Set([
        ...mapping.customAttributes.map(
          (a) => Object.entries(mapping.renamedFields).find(([, to]) => to === a)?.[0] ?? a,
        ),
        ...Object.values(mapping.userAttributes),
        'external_user_id',
      ]);
      for (const field of info.fields) {
        if (field.type !== 'string' || field.deprecated || NOT_TRANSFORMABLE.has(field.name)) continue;
        const base = sampleEvent(type) as CurrentsEvent;
        const value = KEEP_SAMPLE_VALUE.has(field.name)
          ? (base[field.name] as string)
          : field.name === 'device_id' || field.name === 'ad_id'
            ? randomUUID()
            : `v-${field.name}-${randomUUID()}`;
        base[field.name] = value;
        const plain = leaves(onlyBatch(base).batch).filter(([, v]) => v === value);
        if (mappedFields.has(field.name) && plain.length === 0) missing.push(`${type}.${field.name}`);
        for (const action of ['remove', 'hash'] as const) {
          pairs++;
          const out = leaves(onlyBatch(base, [{ field: field.name, action }]).batch);
          expect(
            out.filter(([, v]) => v === value),
            `${type}.${field.name} ${action} leaked`,
          ).toEqual([]);
          const at = new Map(out);
          for (const [path] of plain) {
            // mParticle types these device ids as UUIDs: a hash or [REDACTED] cannot go there and is left out.
            const want = UUID_DEVICE_KEYS.test(path) ? undefined : expected(value, action);
            expect(at.get(path), `${type}.${field.name} ${action} at ${path}`).toBe(want);
            placed++;
          }
        }
      }
    }
    expect(missing).toEqual([]);
    expect(pairs).toBeGreaterThan(1000);
    expect(placed).toBeGreaterThan(1000);
  });

  it('every non-string field of every type is left as it is, and counted', () => {
    let checked = 0;
    for (const info of EVENT_TYPES) {
      const base = sampleEvent(info.name) as CurrentsEvent;
      for (const field of info.fields) {
        if (field.type === 'string' || base[field.name] === undefined) continue;
        for (const action of ['remove', 'hash'] as const) {
          const list = [{ field: field.name, action }];
          expect(transformEvent(base, list)[field.name]).toEqual(base[field.name]);
          expect(notStringFields(base, list)).toEqual([field.name]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('every string field of every type (mappable or not) is replaced in the event before mapping', () => {
    for (const info of EVENT_TYPES) {
      const base = sampleEvent(info.name) as CurrentsEvent;
      for (const field of info.fields) {
        if (typeof base[field.name] !== 'string' || NOT_TRANSFORMABLE.has(field.name)) continue;
        const v = base[field.name] as string;
        expect(transformEvent(base, [{ field: field.name, action: 'hash' }])[field.name]).toBe(expected(v, 'hash'));
        expect(transformEvent(base, [{ field: field.name, action: 'remove' }])[field.name]).toBe('[REDACTED]');
        expect(notStringFields(base, [{ field: field.name, action: 'hash' }])).toEqual([]);
      }
    }
    expect(FIELDS.length).toBeGreaterThan(50);
  });
});
