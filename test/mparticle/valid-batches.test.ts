import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAPPABLE_TYPES } from '../../src/catalog/catalog.js';
import { validateEvent } from '../../src/catalog/validate.js';
import { buildBatches } from '../../src/mparticle/batches.js';
import { loadSchema, schemaForIdentity, validateBatch } from '../../src/mparticle/schema.js';
import type { CurrentsEvent } from '../../src/types.js';
import { eventOf, NOW, settingsArb } from '../helpers/currents-arbitraries.js';

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
