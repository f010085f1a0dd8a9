import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, MAPPABLE_TYPES } from '../../src/catalog/catalog.js';
import { keepsOrder, writeEvent, writeViaObjects } from '../../src/mparticle/write.js';
import type { CurrentsEvent, Transformation } from '../../src/types.js';
import { eventOf, settingsArb } from '../helpers/currents-arbitraries.js';

/**
 * Delivery writes each event's JSON directly (write.ts); what it writes must be exactly what `JSON.stringify` makes
 * of mapEvent's objects, which the mapping tests and the schema proof (valid-batches.test.ts) hold to the catalog.
 */

const UNMAPPABLE = EVENT_TYPES.filter((t) => t.mparticle === null).map((t) => t.name);

const transformationsArb = fc.option(
  fc.uniqueArray(
    fc.record({
      field: fc.constantFrom(
        'external_user_id',
        'email_address',
        'device_id',
        'campaign_name',
        'id',
        'to_phone_number',
      ),
      action: fc.constantFrom('remove' as const, 'hash' as const),
    }),
    { selector: (t) => t.field, maxLength: 3 },
  ),
  { nil: undefined },
);

describe('writeEvent', () => {
  it('writes what JSON.stringify makes of mapEvent, for any event, type and settings (property, whole catalog)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MAPPABLE_TYPES, ...UNMAPPABLE).chain(eventOf),
        settingsArb,
        transformationsArb,
        fc.boolean(),
        (generated, s, transformations, noUser) => {
          const event = JSON.parse(JSON.stringify(generated)) as CurrentsEvent;
          if (noUser) delete event.external_user_id;
          const settings = {
            environment: s.environment,
            identity: s.identity,
            eventNames: s.override === undefined ? {} : { [event.event_type]: s.override },
            ...(transformations === undefined ? {} : { transformations: transformations as Transformation[] }),
          };
          expect(writeEvent(event, settings)).toEqual(writeViaObjects(event, settings));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('escapes what JSON.stringify escapes: control characters, quotes, backslashes, lone surrogates', () => {
    const event = {
      event_type: 'users.messages.email.Send',
      id: 'id-1',
      time: 1_700_000_000,
      external_user_id: 'u"\\\u0000\u001f',
      email_address: 'e\udc00@example.com',
      campaign_name: 'a\ud800b\u2028\u007f',
      send_id: '\ud83d\ude00 pair',
      dispatch_id: 'unit\u001f',
      message_variation_id: 'low\udc00',
    } as CurrentsEvent;
    const settings = { environment: 'production' as const, identity: 'customer_id' as const, eventNames: {} };
    const written = writeEvent(event, settings);
    expect(written).toEqual(writeViaObjects(event, settings));
    expect(written.kind === 'event' && written.json).toContain('"campaign_name":"a\\ud800b');
  });

  it('writes a time that gives no timestamp as null, as JSON.stringify does', () => {
    const event = { event_type: 'users.behaviors.Uninstall', id: 'x', time: Number.NaN, external_user_id: 'u' };
    const settings = { environment: 'production' as const, identity: 'customer_id' as const, eventNames: {} };
    const written = writeEvent(event as CurrentsEvent, settings);
    expect(written).toEqual(writeViaObjects(event as CurrentsEvent, settings));
    expect(written.kind === 'event' && written.json).toContain('"timestamp_unixtime_ms":null');
  });

  it('leaves to the objects a type whose attribute names an object would reorder or merge', () => {
    expect(keepsOrder(['campaign_id', 'send_id'])).toBe(true);
    expect(keepsOrder(['campaign_id', '7'])).toBe(false);
    expect(keepsOrder(['a', 'a'])).toBe(false);
    expect(keepsOrder(['__proto__'])).toBe(false);
    for (const t of EVENT_TYPES) {
      if (t.mparticle === null) continue;
      expect(keepsOrder(t.mparticle.customAttributes)).toBe(true);
    }
  });
});
