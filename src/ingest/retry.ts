import { validateEvent } from '../catalog/validate.js';
import type { NewEvent } from '../types.js';
import { flatten, toNewEvent } from './normalize.js';

/**
 * Revalidate one quarantined event after a fix (of the record itself, or of the catalog). `raw` is the event's JSON
 * text, in the HTTP (nested) or the storage (flat) form; it is filed under the source it first came from.
 */
export function retryQuarantined(
  raw: string,
  ctx: { receivedAt: number; partitions: number; source?: string },
): { ok: true; event: NewEvent } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return { ok: false, reason: `the quarantined record is not valid JSON (${detail}): correct its text and retry` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return {
      ok: false,
      reason: 'the quarantined record is not a JSON object: it must be one Currents event, nested or flat',
    };
  }
  const checked = validateEvent(flatten(parsed as Record<string, unknown>));
  if (!checked.ok) return checked;
  return { ok: true, event: toNewEvent(checked.event, ctx.receivedAt, ctx.partitions, ctx.source) };
}
