import { z } from 'zod';
import { eventType } from '../../catalog/catalog.js';
import { fieldInfo, nearFieldNames, UNTRANSFORMABLE_FIELDS } from '../../catalog/fields.js';
import type { ExportRecord, Transformation } from '../../types.js';

/** Field transformations of an export in the API: their schema and checks, the warnings they call for, their status. */

const transformation = z
  .object({
    field: z.string().trim().min(1, 'give the Currents field to transform (e.g. "email_address")'),
    action: z.enum(['remove', 'hash'], {
      error: 'action must be "remove" (the value becomes [REDACTED]) or "hash" (its SHA-256, lowercase hex)',
    }),
  })
  .strict();

/** Why a field cannot be transformed, as a sentence, or null when it can. */
export function fieldProblem(field: string): string | null {
  const reason = UNTRANSFORMABLE_FIELDS[field];
  if (reason !== undefined) return `${field} cannot be transformed: ${reason}.`;
  if (fieldInfo(field) !== undefined) return null;
  const near = nearFieldNames(field);
  return near.length > 0
    ? `no Currents event type has a field ${field}: did you mean ${near.join(', ')}? GET /v1/catalog lists every field.`
    : `no Currents event type has a field ${field}: GET /v1/catalog lists every field.`;
}

export const transformationList = z
  .array(transformation)
  .max(200, 'give at most 200 transformations')
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    for (const [i, t] of list.entries()) {
      const problem = fieldProblem(t.field);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: [i, 'field'], message: problem });
      const first = seen.get(t.field);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'field'],
          message: `${t.field} is listed twice (entries ${first} and ${i}): keep one entry per field, with the action you want.`,
        });
      } else seen.set(t.field, i);
    }
  })
  .describe(
    'Currents fields to change before mapping, in every event type that has them: "remove" puts [REDACTED] in place ' +
      'of a string value, "hash" its SHA-256 (lowercase hex). Values that are not strings are left as they are.',
  );

/**
 * What a person should know about the export's transformations: the identities mParticle will then resolve users by
 * the transformed values, and fields whose values are never strings (left unchanged).
 */
export function transformationWarnings(
  record: Pick<ExportRecord, 'transformations' | 'identity' | 'events'>,
): string[] {
  const warnings: string[] = [];
  for (const t of record.transformations ?? []) {
    const done = t.action === 'hash' ? 'hashed' : 'removed (sent as [REDACTED])';
    if (t.field === 'external_user_id') {
      warnings.push(
        `external_user_id is ${done}, and it is this export's ${record.identity} identity: mParticle will resolve ` +
          (t.action === 'hash'
            ? 'users by the hash, not by the customer id.'
            : 'every user to the same value, [REDACTED]; hash it instead to keep users apart.'),
      );
    } else if (t.field === 'email_address' && emailIsIdentity(record)) {
      warnings.push(
        `email_address is ${done}, and it is sent as the email identity: mParticle will resolve users by ` +
          (t.action === 'hash' ? 'the hash, not by the address.' : '[REDACTED], the same for everyone.'),
      );
    }
    if (t.field === 'device_id' || t.field === 'ad_id') {
      warnings.push(
        `${t.field} is ${done}: mParticle takes the device ids it fills (ios_idfv, advertising ids) only as UUIDs, ` +
          'so they are left out of device_info; custom attributes carry the transformed value.',
      );
    }
    const info = fieldInfo(t.field);
    if (info !== undefined && !info.valueTypes.includes('string')) {
      warnings.push(
        `${t.field} is never a string in the catalog (${info.valueTypes.join(', ')}): its values are left unchanged.`,
      );
    }
  }
  return warnings;
}

function emailIsIdentity(record: Pick<ExportRecord, 'identity' | 'events'>): boolean {
  return record.identity !== 'email' && record.events.some((t) => eventType(t)?.mparticle?.emailIdentity != null);
}

/** Each transformation with how many selected types have the field and the values it left unchanged (not strings). */
export function transformationStatus(record: ExportRecord, notString: ReadonlyMap<string, number>) {
  const selected = new Set(record.events);
  return (record.transformations ?? []).map((t: Transformation) => ({
    field: t.field,
    action: t.action,
    selected_types_with_field: (fieldInfo(t.field)?.types ?? []).filter((x) => selected.has(x)).length,
    not_string: notString.get(t.field) ?? 0,
  }));
}
