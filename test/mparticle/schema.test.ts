import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { batchValidator, loadSchema, validateBatch } from '../../src/mparticle/schema.js';

type Plugin = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsPlugin as unknown as Plugin & { default?: Plugin };
const addFormats: Plugin = formatsModule.default ?? formatsModule;

const custom = {
  event_type: 'custom_event',
  data: { event_name: 'Email Sends', custom_event_type: 'other', timestamp_unixtime_ms: 1 },
};

/** Batches meant to cover each branch of the events' oneOf: good, untyped, unknown type, incomplete, extra keys. */
const SAMPLES: unknown[] = [
  { environment: 'production', events: [custom] },
  { environment: 'production', events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: 1 } }] },
  { environment: 'production', events: [{ data: { timestamp_unixtime_ms: 1 } }] },
  { environment: 'production', events: [{ event_type: 'nope', data: {} }] },
  { environment: 'production', events: [{ event_type: 'custom_event', data: { custom_event_type: 'other' } }] },
  { environment: 'production', events: [{ ...custom, extra: 1 }] },
  { environment: 'production', events: [{ event_type: 'session_start', data: {} }] },
  { environment: 'production', events: [{ event_type: 42, data: {} }] },
  { environment: 'production', events: [custom, { event_type: 'uninstall' }] },
  { environment: 'staging', events: [custom] },
  { environment: 'production', user_identities: { other_id_10: 'x' }, events: [] },
  { environment: 'production', ip: '10.0.0.1', events: null },
  { environment: 'production', ip: 'not-an-ip' },
];

describe('batch schemas', () => {
  it('gives the same verdict with the discriminator as the live schema’s plain oneOf', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const plain = ajv.compile(loadSchema('live'));
    const fast = batchValidator('live');
    const verdicts = SAMPLES.map((batch) => [plain(batch), fast(batch)]);
    for (const [i, [a, b]] of verdicts.entries()) expect(b, `sample ${i}`).toBe(a);
    // The samples do exercise both verdicts.
    expect(verdicts.filter(([a]) => a === true).length).toBeGreaterThan(2);
    expect(verdicts.filter(([a]) => a === false).length).toBeGreaterThan(5);
  });

  it('checks batches against a form of the official schema at least as strict as the one published', () => {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const published = ajv.compile(loadSchema('official'));
    const fast = batchValidator('official');
    for (const [i, batch] of SAMPLES.entries()) {
      // Whatever the product accepts, mParticle's published schema accepts.
      if (fast(batch)) expect(published(batch), `sample ${i}`).toBe(true);
    }
    expect(fast(SAMPLES[0])).toBe(true);
    expect(fast(SAMPLES[1])).toBe(true);
  });

  it('names the failing field in its error text', () => {
    const error = validateBatch(SAMPLES[4], 'live');
    expect(error).toMatch(/event_name/);
    expect(validateBatch(SAMPLES[0], 'official')).toBeNull();
    expect(validateBatch({ events: [] }, 'official')).toMatch(/environment/);
  });
});
