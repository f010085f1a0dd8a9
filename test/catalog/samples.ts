import { EVENT_TYPES, eventType, type CatalogField, type EventTypeInfo } from '../../src/catalog/catalog.js';

/**
 * Test fixtures generated from the catalog itself: a valid flat event of any type, with or without its optional
 * fields, and the Avro record schema Braze's storage files would embed for it.
 */

let counter = 0;

export function sampleValue(field: CatalogField, seed: string): unknown {
  switch (field.type) {
    case 'string':
      if (field.name === 'platform') return 'ios';
      return `${field.name}-${seed}`;
    case 'int':
      return 7;
    case 'long':
      return 1_764_300_000_123;
    case 'float':
      return 1.5;
    case 'boolean':
      return true;
    case 'array<string>':
      return ['a', 'b'];
  }
}

/** A valid flat event of `type`. `optional: false` leaves every nullable field out. */
export function sampleEvent(
  type: string,
  opts: { optional?: boolean; id?: string; overrides?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const info = infoOf(type);
  const id = opts.id ?? `evt-${++counter}`;
  const event: Record<string, unknown> = { event_type: type, id, time: 1_764_300_000 };
  for (const field of info.fields) {
    if (field.name === 'id' || field.name === 'time') continue;
    if (field.nullable && opts.optional === false) continue;
    event[field.name] = sampleValue(field, id);
  }
  return { ...event, ...opts.overrides };
}

export function infoOf(type: string): EventTypeInfo {
  const info = eventType(type);
  if (info === undefined) throw new Error(`no such type ${type}`);
  return info;
}

/** Types whose catalog entry lists fields (six recent types have none yet). */
export const TYPES_WITH_FIELDS = EVENT_TYPES.filter((t) => t.fields.length > 0).map((t) => t.name);

const AVRO_TYPE: Record<CatalogField['type'], unknown> = {
  string: 'string',
  int: 'int',
  long: 'long',
  float: 'float',
  boolean: 'boolean',
  'array<string>': { type: 'array', items: 'string' },
};

/** The Avro record schema of a type, named as Braze names it, optional fields as ["null", T] with default null. */
export function avroSchemaOf(type: string, extraFields: { name: string; type: unknown }[] = []): object {
  const info = infoOf(type);
  const dot = type.lastIndexOf('.');
  const fields = info.fields.map((f) =>
    f.nullable
      ? { name: f.name, type: ['null', AVRO_TYPE[f.type]], default: null }
      : { name: f.name, type: AVRO_TYPE[f.type] },
  );
  return {
    type: 'record',
    name: type.slice(dot + 1),
    namespace: `dataexport.S3.inner.${type.slice(0, dot)}`,
    fields: [...fields, ...extraFields],
  };
}

/** A sample event as an Avro record value: every schema field present, nulls for left-out optional ones. */
export function avroRecordOf(type: string, opts: { optional?: boolean; id?: string } = {}): Record<string, unknown> {
  const info = infoOf(type);
  const event = sampleEvent(type, opts);
  const record: Record<string, unknown> = {};
  for (const f of info.fields) record[f.name] = event[f.name] ?? null;
  return record;
}
