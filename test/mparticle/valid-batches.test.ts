import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventType, MAPPABLE_TYPES, type CatalogField } from '../../src/catalog/catalog.js';
import { validateEvent } from '../../src/catalog/validate.js';
import { buildBatches } from '../../src/mparticle/batches.js';
import { AD_ID_KEYS, PLATFORM_NAMES } from '../../src/mparticle/device.js';
import { loadSchema, schemaForIdentity, validateBatch } from '../../src/mparticle/schema.js';
import type { CurrentsEvent, IdentityKey } from '../../src/types.js';

/**
 * The proof that lets delivery skip mParticle's schema at run time (src/mparticle/batches.ts): for any events the
 * ingest accepts (any catalog type, any value of each field's type, null where allowed, absent, unknown fields
 * beside them), under any export settings, every batch buildBatches returns is valid against the schema it would
 * have been checked against, and against the official schema exactly as published. Nothing valid is refused.
 */

type Plugin = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsPlugin as unknown as Plugin & { default?: Plugin };
const ajvAsPublished = new Ajv({ strict: false });
(formatsModule.default ?? formatsModule)(ajvAsPublished);
const officialAsPublished = ajvAsPublished.compile(loadSchema('official'));

const IDENTITIES: readonly IdentityKey[] = [
  'customer_id',
  'other',
  'email',
  'other_id_2',
  'other_id_3',
  'other_id_4',
  'other_id_5',
  'other_id_6',
  'other_id_7',
  'other_id_8',
  'other_id_9',
  'other_id_10',
];

const NOW = Date.UTC(2026, 10, 29);

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.uuid(),
  fc.constantFrom('', ' ', 'null', '1e+21', '"', '\\', '\u2028', '0.0.0.0', '::1'),
);
const integer = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53 + 2, 1e21, -1e300, 1e300),
);
const float = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(5e-324, 1e21, -0.5));

/** A value of the field's catalog type (null where the catalog allows it), or none. */
function valueOf(field: CatalogField): fc.Arbitrary<unknown> {
  let base: fc.Arbitrary<unknown>;
  switch (field.name) {
    case 'platform':
      base = fc.oneof(fc.constantFrom(...Object.keys(PLATFORM_NAMES), 'IOS', 'Android'), text);
      break;
    case 'ad_id_type':
      base = fc.oneof(fc.constantFrom(...Object.keys(AD_ID_KEYS), 'GOOGLE_ADID'), text);
      break;
    default:
      switch (field.type) {
        case 'string':
          base = text;
          break;
        case 'int':
        case 'long':
          base = integer;
          break;
        case 'float':
          base = float;
          break;
        case 'boolean':
          base = fc.boolean();
          break;
        case 'array<string>':
          base = fc.array(fc.option(text, { nil: null }), { maxLength: 4 });
          break;
      }
  }
  const options = field.nullable ? [base, fc.constant(null)] : [base];
  return fc.option(fc.oneof(...options), { nil: undefined, freq: 4 });
}

const eventOf = (type: string): fc.Arbitrary<Record<string, unknown>> => {
  const fields = eventType(type)!.fields.filter((f) => !['event_type', 'id', 'time'].includes(f.name));
  return fc
    .record({
      values: fc.tuple(...fields.map(valueOf)),
      id: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })),
      time: fc.oneof(fc.integer({ min: 1_500_000_000, max: 2_000_000_000 }), integer),
      user: fc.constantFrom('u1', 'u2', 'ü3'),
      extra: fc.dictionary(
        fc.string({ maxLength: 8 }).map((k) => `x_${k}`),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3 },
      ),
    })
    .map(({ values, id, time, user, extra }) => {
      const event: Record<string, unknown> = { event_type: type, id, time, ...extra };
      fields.forEach((f, i) => {
        if (values[i] !== undefined) event[f.name] = values[i];
      });
      // Most events have a user (a few of three users, so batches merge); some keep the generated value.
      if (typeof event.external_user_id !== 'string' || event.external_user_id.length % 3 !== 0) {
        event.external_user_id = user;
      }
      return event;
    });
};

const settingsArb = fc.record({
  environment: fc.constantFrom('production' as const, 'development' as const),
  identity: fc.constantFrom(...IDENTITIES),
  override: fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
});

describe('batches are valid by construction', () => {
  it('for any accepted events, types, values and settings (property, the whole catalog)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...MAPPABLE_TYPES).chain(eventOf), { minLength: 1, maxLength: 8 }),
        settingsArb,
        fc.boolean(),
        (generated, s, merge) => {
          // As delivery sees them: accepted by ingest, stored as JSON text and parsed again.
          const accepted = generated.filter((e) => validateEvent(e).ok);
          fc.pre(accepted.length > 0);
          const events = accepted.map((e) => JSON.parse(JSON.stringify(e)) as CurrentsEvent);
          const eventNames = s.override === undefined ? {} : { [events[0]!.event_type]: s.override };
          const settings = { environment: s.environment, identity: s.identity, eventNames };
          const built = buildBatches(
            events.map((event, i) => ({ seq: i + 1, event })),
            { settings, merge, feedId: 'ios+unbound', generation: 0, now: NOW },
          );
          expect(built.invalid).toEqual([]);
          const schema = schemaForIdentity(s.identity);
          for (const b of built.batches) {
            const batch: unknown = JSON.parse(b.json);
            expect(validateBatch(batch, schema)).toBeNull();
            if (schema === 'official') expect(officialAsPublished(batch)).toBe(true);
          }
          const sent = built.batches.reduce((n, b) => n + b.seqs.length, 0);
          expect(sent + built.skipped.length + built.tooLarge.length).toBe(events.length);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
