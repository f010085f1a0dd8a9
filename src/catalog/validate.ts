import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { CurrentsEvent } from '../types.js';
import { EVENT_TYPES, eventType, type CatalogField, type EventTypeInfo, type FieldType } from './catalog.js';

/**
 * Validators built from the catalog: one compiled ajv function per event type, compiled on first use (or all at
 * once with `precompileValidators`, e.g. at server start). An event is checked in its flat form; a field the
 * catalog does not know is kept, because Currents adds optional fields without notice.
 *
 * Only what identifies and dates an event is required: `event_type`, `id`, `time`. Braze's own Custom HTTP samples
 * leave out fields its Avro schemas mark non-nullable (an in-app message Abort without `version`), so any other
 * field may be absent; when present it must have the catalog's type (null only where the catalog allows it). The
 * non-nullable fields an accepted event lacks are returned as `missing`, for counting.
 */

export type Validation =
  | {
      ok: true;
      event: CurrentsEvent;
      /** Catalog fields marked non-nullable for the type that the event lacks (the same empty array when none). */
      missing: readonly string[];
    }
  | { ok: false; reason: string };

/** The fields without which an event is refused, whatever its type. */
export const REQUIRED_FIELDS: readonly string[] = Object.freeze(['event_type', 'id', 'time']);

// allErrors costs nothing on valid input (every keyword runs anyway) and lets a reason list every problem at once.
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });

interface Checker {
  validate: ValidateFunction;
  /** Non-nullable catalog fields other than the required ones: those whose absence is counted. */
  expected: readonly string[];
}
const checkers = new Map<string, Checker>();
const NOTHING_MISSING: readonly string[] = Object.freeze([]);

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
  for (const field of info.fields) properties[field.name] = fieldSchema(field);
  // Every event is identified and dated, even for the few types whose fields the catalog does not list yet.
  properties.id = { type: 'string', minLength: 1 };
  properties.time = { type: 'integer' };
  properties.event_type = { type: 'string' };
  return { type: 'object', properties, required: [...REQUIRED_FIELDS], additionalProperties: true };
}

/** The catalog fields of a type whose absence is counted: the non-nullable ones, apart from the required three. */
export function expectedFields(info: EventTypeInfo): readonly string[] {
  return info.fields.filter((f) => !f.nullable && !REQUIRED_FIELDS.includes(f.name)).map((f) => f.name);
}

function checkerFor(info: EventTypeInfo): Checker {
  let checker = checkers.get(info.name);
  if (checker === undefined) {
    checker = { validate: ajv.compile(eventSchema(info)), expected: Object.freeze(expectedFields(info)) };
    checkers.set(info.name, checker);
  }
  return checker;
}

/** Compile every type's validator now rather than on first use; returns the type names compiled. */
export function precompileValidators(): string[] {
  return EVENT_TYPES.map((info) => {
    checkerFor(info);
    return info.name;
  });
}

/** What to add when a required field is missing: the sender has to fix it, so say what the field holds. */
const HOW_TO_ADD: Record<string, string> = {
  id: 'add the event’s Currents id beside "event_type" (a non-empty string, unique per event: the dedup key)',
  time: 'add when the event happened beside "event_type", as UNIX seconds (an integer)',
};

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
    return `field "${missing}" is missing: ${HOW_TO_ADD[missing] ?? 'add it'}`;
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
  const { validate, expected } = checkerFor(info);
  if (!validate(flat)) return { ok: false, reason: reasonFor(type, validate.errors ?? [], flat) };
  // This runs for every accepted event (tens of thousands a second): a plain loop, and no allocation when complete.
  let missing: string[] | null = null;
  for (let i = 0; i < expected.length; i++) {
    const name = expected[i]!;
    if (flat[name] === undefined) (missing ??= []).push(name);
  }
  return { ok: true, event: flat as CurrentsEvent, missing: missing ?? NOTHING_MISSING };
}
