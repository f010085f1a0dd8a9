import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { IdentityKey } from '../types.js';

/**
 * mParticle's batch JSON schemas, kept as data in `schema/`:
 * - `official`: the 2021 schema mParticle publishes in its docs repository. It types `source_message_id` as a UUID
 *   and knows identities only up to `other_id_4`. Batches are checked against it before they are sent.
 * - `live`: the schema mParticle served in 2026 (from a mirror). It accepts any string as `source_message_id` and
 *   adds `other_id_5..10`. The sandbox uses it, as the stand-in for today's API.
 * Validators are compiled on first use (compiling costs tens of milliseconds) and then shared.
 */
export type SchemaName = 'official' | 'live';

const FILES: Record<SchemaName, string> = {
  official: 'mparticle-batch-schema.json',
  live: 'mparticle-batch-schema.live-2026.json',
};

type FormatsPlugin = (ajv: Ajv) => Ajv;
// ajv-formats is CommonJS: TypeScript sees its default import as the module object, Node as the function itself.
const formatsModule = addFormatsPlugin as unknown as FormatsPlugin & { default?: FormatsPlugin };
const addFormats: FormatsPlugin = formatsModule.default ?? formatsModule;

const compiled = new Map<SchemaName, ValidateFunction>();

export function loadSchema(name: SchemaName): Record<string, unknown> {
  const url = new URL(`./schema/${FILES[name]}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

/**
 * The compiled validator of one schema. Each gets its own Ajv instance: both schemas share one `$id`.
 *
 * Where every alternative of the events' `oneOf` requires `event_type` with its own single value (the live schema),
 * ajv's `discriminator` picks the alternative by that value: the same verdict as `oneOf`, about six times faster,
 * and the error names the failing field instead of all 17 alternatives. The official schema does not require
 * `event_type`; before every batch is checked on the hot path of delivery it is made to (`requireEventType`): a
 * stricter schema, so a batch it accepts the published one accepts too, and every batch this product writes has an
 * `event_type`. Tests check the mapping against the schema as published as well.
 */
export function batchValidator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate === undefined) {
    const schema = loadSchema(name);
    if (name === 'official') requireEventType(schema);
    const discriminated = addEventTypeDiscriminator(schema);
    // strict off: the published schemas use keywords and unions ajv's strict mode rejects (e.g. `default` in oneOf).
    const ajv = new Ajv({ strict: false, allErrors: false, discriminator: discriminated });
    addFormats(ajv);
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

interface SchemaNode {
  $ref?: string;
  required?: string[];
  properties?: Record<string, { enum?: unknown[] }>;
  oneOf?: SchemaNode[];
  discriminator?: { propertyName: string };
}

/** Each event alternative with a single-valued `event_type` also requires it. Mutates `schema`. */
function requireEventType(schema: Record<string, unknown>): void {
  const definitions = (schema.definitions ?? {}) as Record<string, SchemaNode>;
  const items = (schema.properties as Record<string, { items?: SchemaNode }> | undefined)?.events?.items;
  for (const alternative of items?.oneOf ?? []) {
    const target = alternative.$ref?.startsWith('#/definitions/')
      ? definitions[alternative.$ref.slice('#/definitions/'.length)]
      : alternative;
    if (target?.properties?.event_type?.enum?.length !== 1) continue;
    target.required = [...new Set([...(target.required ?? []), 'event_type'])];
  }
}

/** Adds the discriminator when it cannot change a verdict; says whether it did. Mutates `schema`. */
function addEventTypeDiscriminator(schema: Record<string, unknown>): boolean {
  const definitions = (schema.definitions ?? {}) as Record<string, SchemaNode>;
  const items = (schema.properties as Record<string, { items?: SchemaNode }> | undefined)?.events?.items;
  const alternatives = items?.oneOf;
  if (items === undefined || alternatives === undefined) return false;
  const seen = new Set<unknown>();
  for (const alternative of alternatives) {
    const target = alternative.$ref?.startsWith('#/definitions/')
      ? definitions[alternative.$ref.slice('#/definitions/'.length)]
      : alternative;
    const values = target?.properties?.event_type?.enum;
    if (target?.required?.includes('event_type') !== true || values?.length !== 1 || seen.has(values[0])) return false;
    seen.add(values[0]);
  }
  items.discriminator = { propertyName: 'event_type' };
  return true;
}

/** Ajv's error text for a batch, or null when the batch is valid against the schema. */
export function validateBatch(batch: unknown, name: SchemaName = 'official'): string | null {
  const validate = batchValidator(name);
  if (validate(batch)) return null;
  return describeErrors(validate);
}

export function describeErrors(validate: ValidateFunction): string {
  const errors = validate.errors ?? [];
  if (errors.length === 0) return 'the batch does not match mParticle’s schema';
  return errors
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(batch)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

/** Identities only the live schema knows: an export using one is checked against the live schema. */
const LIVE_ONLY_IDENTITIES: ReadonlySet<IdentityKey> = new Set([
  'other_id_5',
  'other_id_6',
  'other_id_7',
  'other_id_8',
  'other_id_9',
  'other_id_10',
]);

/** The schema a batch for this identity is checked against: the official one unless it cannot express it. */
export function schemaForIdentity(identity: IdentityKey): SchemaName {
  return LIVE_ONLY_IDENTITIES.has(identity) ? 'live' : 'official';
}
