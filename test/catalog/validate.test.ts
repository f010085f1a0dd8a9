import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type CatalogField } from '../../src/catalog/catalog.js';
import { eventSchema, precompileValidators, validateEvent } from '../../src/catalog/validate.js';
import { sampleEvent, TYPES_WITH_FIELDS } from './samples.js';

function reasonOf(event: Record<string, unknown>): string {
  const result = validateEvent(event);
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.reason;
}

/** A value of another type than the field's, to check the validator refuses it. */
function wrongValue(field: CatalogField): unknown {
  switch (field.type) {
    case 'string':
      return 42;
    case 'int':
    case 'long':
      return 'not a number';
    case 'float':
      return 'not a number';
    case 'boolean':
      return 'yes';
    case 'array<string>':
      return 'not an array';
  }
}

describe('catalog validators', () => {
  it('has a validator for every one of the 100 types', () => {
    const compiled = precompileValidators();
    expect(compiled).toHaveLength(100);
    expect(new Set(compiled)).toEqual(new Set(EVENT_TYPES.map((t) => t.name)));
  });

  it.each(EVENT_TYPES.map((t) => t.name))('accepts a valid %s with and without its optional fields', (type) => {
    const full = sampleEvent(type, { optional: true });
    const minimal = sampleEvent(type, { optional: false });
    const a = validateEvent(full);
    const b = validateEvent(minimal);
    expect(a).toEqual({ ok: true, event: full, missing: [] });
    expect(b).toEqual({ ok: true, event: minimal, missing: [] });
    // Optional fields may also be given as null, as Avro unions decode them.
    const withNulls = { ...minimal };
    for (const f of EVENT_TYPES.find((t) => t.name === type)!.fields) if (f.nullable) withNulls[f.name] = null;
    expect(validateEvent(withNulls).ok).toBe(true);
  });

  it.each(TYPES_WITH_FIELDS)('accepts a %s without any field but its id and time, and says which it lacks', (type) => {
    const info = EVENT_TYPES.find((t) => t.name === type)!;
    for (const field of info.fields) {
      if (field.name === 'id' || field.name === 'time') continue;
      const without = sampleEvent(type);
      delete without[field.name];
      const result = validateEvent(without);
      expect(result, field.name).toEqual({ ok: true, event: without, missing: field.nullable ? [] : [field.name] });
    }
  });

  it.each(TYPES_WITH_FIELDS)('refuses a %s with a field of the wrong type, or null where not nullable', (type) => {
    const info = EVENT_TYPES.find((t) => t.name === type)!;
    for (const field of info.fields) {
      if (!field.nullable) {
        expect(reasonOf({ ...sampleEvent(type), [field.name]: null })).toContain(`field "${field.name}" must be`);
      }
      const reason = reasonOf({ ...sampleEvent(type), [field.name]: wrongValue(field) });
      expect(reason.startsWith(`${type}: `)).toBe(true);
      expect(reason).toContain(`field "${field.name}" must be`);
    }
  });

  it('names the type, the field, the expected and the given type', () => {
    const event = sampleEvent('users.messages.email.Send', { overrides: { email_address: 12 } });
    expect(reasonOf(event)).toBe('users.messages.email.Send: field "email_address" must be a string (got number)');
  });

  it('lists every problem of the event, not only the first', () => {
    const event = sampleEvent('users.messages.email.Send', { overrides: { email_address: 12, time: 1.5 } });
    delete event.id;
    const reason = reasonOf(event);
    expect(reason).toContain('field "email_address" must be a string (got number)');
    expect(reason).toContain('field "time" must be an integer (got number 1.5)');
    expect(reason).toContain('field "id" is missing: add the event’s Currents id');
  });

  it('names every non-nullable field an accepted event lacks, and only those', () => {
    const type = 'users.messages.inappmessage.Abort';
    const result = validateEvent({ event_type: type, id: 'a', time: 1, abort_type: 'liquid_abort_message' });
    expect(result).toMatchObject({ ok: true, missing: ['user_id', 'version'] });
    // A type whose user_id the catalog makes nullable (inbound SMS from an unknown number) does not lack it.
    const inbound = validateEvent({ event_type: 'users.messages.sms.InboundReceive', id: 'b', time: 1 });
    expect(inbound.ok && inbound.missing.includes('user_id')).toBe(false);
  });

  it('refuses a long given as a numeric string, saying to send a number', () => {
    const reason = reasonOf(sampleEvent('users.messages.email.Send', { overrides: { time: '1764300000' } }));
    expect(reason).toContain('field "time" must be an integer (got string): send numbers as JSON numbers');
  });

  it('requires a non-empty string id and an integer time on every type, even those without listed fields', () => {
    for (const type of EVENT_TYPES.map((t) => t.name)) {
      expect(reasonOf(sampleEvent(type, { overrides: { id: '' } }))).toContain('field "id" must be a non-empty string');
      expect(reasonOf(sampleEvent(type, { overrides: { id: 5 } }))).toContain('field "id" must be a string');
      expect(reasonOf(sampleEvent(type, { overrides: { time: 17.5 } }))).toContain('field "time" must be an integer');
      const noTime = sampleEvent(type);
      delete noTime.time;
      expect(reasonOf(noTime)).toBe(
        `${type}: field "time" is missing: add when the event happened beside "event_type", as UNIX seconds (an integer)`,
      );
      const noId = sampleEvent(type);
      delete noId.id;
      expect(reasonOf(noId)).toContain('field "id" is missing: add the event’s Currents id beside "event_type"');
    }
  });

  it('keeps fields the catalog does not know', () => {
    const event = sampleEvent('users.messages.pushnotification.Open', {
      overrides: { brand_new_field: { nested: true }, another: 'x' },
    });
    const result = validateEvent(event);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.brand_new_field).toEqual({ nested: true });
      expect(result.event.another).toBe('x');
    }
  });

  it('refuses an unknown or missing event type', () => {
    expect(reasonOf({ event_type: 'users.messages.email.Sent', id: 'a', time: 1 })).toContain(
      'event_type "users.messages.email.Sent" is not a Currents event type',
    );
    expect(reasonOf({ id: 'a', time: 1 })).toContain('field "event_type" must name a Currents event type');
    expect(reasonOf({ event_type: 3, id: 'a', time: 1 })).toContain('(got number)');
  });

  it('takes ints and longs as integers, floats as any number, booleans strictly', () => {
    const type = 'users.behaviors.app.SessionEnd';
    const floatField = EVENT_TYPES.find((t) => t.name === type)!.fields.find((f) => f.type === 'float');
    if (floatField !== undefined) {
      expect(validateEvent(sampleEvent(type, { overrides: { [floatField.name]: 3 } })).ok).toBe(true);
      expect(validateEvent(sampleEvent(type, { overrides: { [floatField.name]: 3.25 } })).ok).toBe(true);
    }
    const boolType = EVENT_TYPES.find((t) => t.fields.some((f) => f.type === 'boolean'))!;
    const boolField = boolType.fields.find((f) => f.type === 'boolean')!;
    expect(reasonOf(sampleEvent(boolType.name, { overrides: { [boolField.name]: 1 } }))).toContain(
      `field "${boolField.name}" must be a boolean`,
    );
  });

  it('checks string arrays item by item', () => {
    const type = EVENT_TYPES.find((t) => t.fields.some((f) => f.type === 'array<string>'))!;
    const field = type.fields.find((f) => f.type === 'array<string>')!;
    expect(validateEvent(sampleEvent(type.name, { overrides: { [field.name]: ['x', null] } })).ok).toBe(true);
    expect(reasonOf(sampleEvent(type.name, { overrides: { [field.name]: ['x', 3] } }))).toContain(
      `field "${field.name}" item 1 must be a string`,
    );
  });

  it('builds schemas that allow extra fields and require only event_type, id and time', () => {
    for (const info of EVENT_TYPES) {
      const schema = eventSchema(info) as { required: string[]; additionalProperties: boolean };
      expect(schema.additionalProperties).toBe(true);
      expect(new Set(schema.required)).toEqual(new Set(['event_type', 'id', 'time']));
    }
  });
});
