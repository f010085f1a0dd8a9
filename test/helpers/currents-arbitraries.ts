import fc from 'fast-check';
import { eventType, type CatalogField } from '../../src/catalog/catalog.js';
import { AD_ID_KEYS, PLATFORM_NAMES } from '../../src/mparticle/device.js';
import { IDENTITIES } from '../../src/server/exports/schemas.js';

/** Arbitrary Currents events of any catalog type, with any value of each field's type, and export settings. */

export const NOW = Date.UTC(2026, 10, 29);

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

export const eventOf = (type: string): fc.Arbitrary<Record<string, unknown>> => {
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

export const settingsArb = fc.record({
  environment: fc.constantFrom('production' as const, 'development' as const),
  identity: fc.constantFrom(...IDENTITIES),
  override: fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
});
