import { EVENT_TYPES, type FieldType } from './catalog.js';

/**
 * The Currents field names across the catalog, for field transformations: which types have a field, of which types
 * it is, and the names near a misspelt one.
 */

export interface FieldInfo {
  readonly name: string;
  /** The event types that have the field, in catalog order. */
  readonly types: readonly string[];
  /** The field's types across those event types (one, almost always). */
  readonly valueTypes: readonly FieldType[];
}

/**
 * Fields the service itself needs as they are: the type decides the mapping, the id is the event's identity (dedup,
 * trace, source_request_id). A transformation of them is refused.
 */
export const UNTRANSFORMABLE_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  event_type: 'the service needs the event type to map the event',
  id: 'the service needs the event id to deduplicate, trace and send the event',
});

const byName = new Map<string, { types: string[]; valueTypes: Set<FieldType> }>();
for (const t of EVENT_TYPES) {
  for (const f of t.fields) {
    const entry = byName.get(f.name) ?? { types: [], valueTypes: new Set<FieldType>() };
    entry.types.push(t.name);
    entry.valueTypes.add(f.type);
    byName.set(f.name, entry);
  }
}

/** Every field name some catalog type has, sorted. */
export const FIELDS: readonly FieldInfo[] = Object.freeze(
  [...byName]
    .map(([name, e]) =>
      Object.freeze({ name, types: Object.freeze(e.types), valueTypes: Object.freeze([...e.valueTypes]) }),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
);

const infoByName = new Map(FIELDS.map((f) => [f.name, f]));

export function fieldInfo(name: string): FieldInfo | undefined {
  return infoByName.get(name);
}

/** Levenshtein distance, bounded: past `max` the exact figure does not matter. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Catalog field names near `name`: within a small edit distance of the whole name or of one of its words
 * (`emial` -> `email_address`), or sharing its start or containing it; closest first, at most `limit`.
 */
export function nearFieldNames(name: string, limit = 5): string[] {
  const wanted = name.trim().toLowerCase();
  const max = Math.max(2, Math.floor(wanted.length / 4));
  const scored: { name: string; score: number }[] = [];
  for (const f of FIELDS) {
    const whole = distance(wanted, f.name, max);
    const word = Math.min(...f.name.split('_').map((w) => distance(wanted, w, max)));
    const related =
      wanted.length >= 3 && (f.name.startsWith(wanted) || f.name.includes(wanted) || wanted.startsWith(f.name));
    if (whole <= max) scored.push({ name: f.name, score: whole });
    else if (word <= max && wanted.length >= 4) scored.push({ name: f.name, score: word + 0.5 });
    else if (related) scored.push({ name: f.name, score: max + 1 + Math.abs(f.name.length - wanted.length) / 100 });
  }
  return scored
    .sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : 1))
    .slice(0, limit)
    .map((s) => s.name);
}
