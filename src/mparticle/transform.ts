import { createHash } from 'node:crypto';
import type { CurrentsEvent, Transformation } from '../types.js';

/**
 * Field transformations, applied to a Currents event before it is mapped, so that what reaches mParticle (custom
 * attributes, identities, user attributes, device info) carries the transformed value wherever the field goes.
 * Only string values change; any other value (a number, a boolean, a list) is left as it is, and counted by
 * `notStringFields` so the export's status can say so. Pure: the same event and list give the same result.
 */

export const REDACTED = '[REDACTED]';

export function transformValue(value: string, action: Transformation['action']): string {
  return action === 'remove' ? REDACTED : createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The event with its transformed fields replaced (a copy), or the event itself when nothing applies. */
export function transformEvent(event: CurrentsEvent, transformations: readonly Transformation[]): CurrentsEvent {
  let out: CurrentsEvent | null = null;
  for (const t of transformations) {
    const value = (out ?? event)[t.field];
    if (typeof value !== 'string') continue;
    out ??= { ...event };
    out[t.field] = transformValue(value, t.action);
  }
  return out ?? event;
}

/** The transformed fields of the event whose value is present but not a string: left unchanged. */
export function notStringFields(event: CurrentsEvent, transformations: readonly Transformation[]): string[] {
  const fields: string[] = [];
  for (const t of transformations) {
    const value = event[t.field];
    if (value !== undefined && value !== null && typeof value !== 'string') fields.push(t.field);
  }
  return fields;
}
