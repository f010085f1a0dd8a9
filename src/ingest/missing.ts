/**
 * Catalog fields that accepted events lacked, counted by type and field. Braze leaves out some fields its schemas
 * call non-nullable; such events are kept, and these counts show how often. A push or an import chunk gathers its
 * counts here first, so the metrics (or a summary) are touched once per (type, field), not once per event.
 */

/** One accepted event that lacks fields: `at` is its index in the list of events it was accepted with. */
export interface Lacking {
  at: number;
  type: string;
  fields: readonly string[];
}

export interface MissingCount {
  type: string;
  field: string;
  count: number;
}

const NO_INDEXES: ReadonlySet<number> = new Set();

/** Counts by type, then field. */
export class MissingTally {
  private readonly byType = new Map<string, Map<string, number>>();

  add(type: string, fields: readonly string[]): void {
    let byField = this.byType.get(type);
    if (byField === undefined) {
      byField = new Map();
      this.byType.set(type, byField);
    }
    for (const field of fields) byField.set(field, (byField.get(field) ?? 0) + 1);
  }

  /** The events of `lacking` whose index is not in `skip` (e.g. duplicates the log dropped). */
  addAll(lacking: readonly Lacking[], skip: ReadonlySet<number> = NO_INDEXES): this {
    for (const item of lacking) if (!skip.has(item.at)) this.add(item.type, item.fields);
    return this;
  }

  /** Every count, by type then field name. */
  counts(): MissingCount[] {
    const out: MissingCount[] = [];
    for (const [type, byField] of this.byType) {
      for (const [field, count] of byField) out.push({ type, field, count });
    }
    return out.sort((a, b) => (a.type === b.type ? cmp(a.field, b.field) : cmp(a.type, b.type)));
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
