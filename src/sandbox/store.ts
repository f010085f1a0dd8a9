/** What the sandbox accepted, for the read API: arrival order, capped, oldest dropped first. */
export interface StoredBatch {
  key: string;
  received_at: number;
  batch: unknown;
}

export class BatchStore {
  private items: StoredBatch[] = [];
  /** Index of the oldest kept item: dropping from the front is a counter bump, compacted now and then. */
  private head = 0;

  constructor(private readonly limit: number) {}

  add(item: StoredBatch): void {
    this.items.push(item);
    if (this.items.length - this.head > this.limit) this.head += 1;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  list(filter: { key?: string; since?: number } = {}): StoredBatch[] {
    const out: StoredBatch[] = [];
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i]!;
      if (filter.key !== undefined && item.key !== filter.key) continue;
      if (filter.since !== undefined && item.received_at < filter.since) continue;
      out.push(item);
    }
    return out;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** `source_request_id`s seen per key, bounded: the oldest are forgotten first (a Set keeps insertion order). */
export class DedupIndex {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly limit: number) {}

  /** True when the id was seen before on this key; otherwise remembers it. */
  check(key: string, id: string): boolean {
    let ids = this.seen.get(key);
    if (ids === undefined) {
      ids = new Set();
      this.seen.set(key, ids);
    }
    if (ids.has(id)) return true;
    ids.add(id);
    if (ids.size > this.limit) {
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
    return false;
  }

  clear(): void {
    this.seen.clear();
  }
}
