import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { CurrentsEvent } from '../types.js';
import { EVENT_TYPES, eventType, type CatalogField, type EventTypeInfo, type FieldType } from './catalog.js';

/**
 * Validators built from the catalog: one compiled ajv function per event type, compiled on first use (or all at
 * once with `precompileValidators`, e.g. at server start). An event is checked in its flat form; a field the
 * catalog does not know is kept, because Currents adds optional fields without notice.
 */

export type Validation = { ok: true; event: CurrentsEvent } | { ok: false; reason: string };

// allErrors costs nothing on valid input (every keyword runs anyway) and lets a reason list every problem at once.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
const validators = new Map<string, ValidateFunction>();

const JSON_TYPE: Record<FieldType, string> = {
  string: 'string',
  int: 'integer',
  long: 'integer',
  float: 'number',
  boolean: 'boolean',
  'array<string>': 'array',
};

function fieldSchema(field: CatalogField): Record<string, unknown> {
  const base = JSON_TYPE[field.type];
  const schema: Record<string, unknown> = { type: field.nullable ? [base, 'null'] : base };
  // Braze's own Avro schemas declare some string arrays with nullable items (media_urls), so null items pass.
  if (field.type === 'array<string>') schema.items = { type: ['string', 'null'] };
  return schema;
}

/** The JSON Schema an event of this type is checked against (exported for tests and documentation). */
export function eventSchema(info: EventTypeInfo): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required = new Set<string>(['event_type', 'id', 'time']);
  for (const field of info.fields) {
    properties[field.name] = fieldSchema(field);
    if (!field.nullable) required.add(field.name);
  }
  // Every event is identified and dated, even for the few types whose fields the catalog does not list yet.
  properties.id = { type: 'string', minLength: 1 };
  properties.time = { type: 'integer' };
  properties.event_type = { type: 'string' };
  return { type: 'object', properties, required: [...required], additionalProperties: true };
}

function validatorFor(info: EventTypeInfo): ValidateFunction {
  let validate = validators.get(info.name);
  if (validate === undefined) {
    validate = ajv.compile(eventSchema(info));
    validators.set(info.name, validate);
  }
  return validate;
}

/** Compile every type's validator now rather than on first use; returns the type names compiled. */
export function precompileValidators(): string[] {
  return EVENT_TYPES.map((info) => {
    validatorFor(info);
    return info.name;
  });
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  array: 'an array of strings',
};

const NUMERIC = /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'number' : `number ${value}`;
  return typeof value;
}

function fieldAt(path: string): { field: string; item: string | null } {
  const parts = path.split('/').slice(1);
  const field = (parts[0] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
  return { field, item: parts.length > 1 ? (parts[1] ?? null) : null };
}

function describeError(error: ErrorObject, flat: Record<string, unknown>): string {
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    return `field "${missing}" is required but missing`;
  }
  const { field, item } = fieldAt(error.instancePath);
  const label = item === null ? `field "${field}"` : `field "${field}" item ${item}`;
  let value: unknown = flat[field];
  if (item !== null && Array.isArray(value)) value = value[Number(item)];
  if (error.keyword === 'minLength') return `${label} must be a non-empty string`;
  if (error.keyword === 'type') {
    const types = (error.params as { type: string | string[] }).type;
    const base = Array.isArray(types) ? String(types[0]) : String(types).split(',')[0]!;
    const nullable = Array.isArray(types) ? types.includes('null') : String(types).includes('null');
    const expected = `${EXPECTED[base] ?? base}${nullable ? ' or null' : ''}`;
    let hint = '';
    if (typeof value === 'string' && (base === 'integer' || base === 'number') && NUMERIC.test(value)) {
      hint = ': send numbers as JSON numbers, not text';
    }
    return `${label} must be ${expected} (got ${describeValue(value)})${hint}`;
  }
  return `${label} ${error.message ?? 'is invalid'}`;
}

function reasonFor(type: string, errors: readonly ErrorObject[], flat: Record<string, unknown>): string {
  const problems = new Set<string>();
  for (const error of errors) problems.add(describeError(error, flat));
  return `${type}: ${[...problems].join('; ')}`;
}

/**
 * Check one flat event against its type's catalog entry. On success the same object is returned (no copy), typed.
 * On failure the reason names the type and every problem found, each saying what to fix.
 */
export function validateEvent(flat: Record<string, unknown>): Validation {
  const type = flat.event_type;
  if (typeof type !== 'string' || type === '') {
    const got = type === undefined ? 'it is missing' : `got ${describeValue(type)}`;
    return {
      ok: false,
      reason: `field "event_type" must name a Currents event type such as "users.messages.email.Send" (${got})`,
    };
  }
  const info = eventType(type);
  if (info === undefined) {
    return {
      ok: false,
      reason: `event_type "${type}" is not a Currents event type: check its spelling (e.g. "users.messages.email.Send")`,
    };
  }
  const validate = validatorFor(info);
  if (validate(flat)) return { ok: true, event: flat as CurrentsEvent };
  return { ok: false, reason: reasonFor(type, validate.errors ?? [], flat) };
}
