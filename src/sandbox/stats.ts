/** Counters of what the sandbox answered, in total and per feed key. */
export interface Counters {
  /** Requests by HTTP status ("202", "400", ...). */
  requests: Record<string, number>;
  batches: { accepted: number; rejected: number; duplicate: number };
  events: { accepted: number };
}

export interface Rejection {
  key: string;
  at: number;
  error: string;
}

export interface StatsView extends Counters {
  keys: Record<string, Counters>;
  /** The last rejected batches' reasons, newest last. */
  recentRejections: Rejection[];
  stored: number;
}

const RECENT_REJECTIONS = 50;

function emptyCounters(): Counters {
  return { requests: {}, batches: { accepted: 0, rejected: 0, duplicate: 0 }, events: { accepted: 0 } };
}

export class Stats {
  private total = emptyCounters();
  private perKey = new Map<string, Counters>();
  private rejections: Rejection[] = [];

  private of(key: string): Counters {
    let counters = this.perKey.get(key);
    if (counters === undefined) {
      counters = emptyCounters();
      this.perKey.set(key, counters);
    }
    return counters;
  }

  request(status: number, key: string | null): void {
    const code = String(status);
    this.total.requests[code] = (this.total.requests[code] ?? 0) + 1;
    if (key === null) return;
    const counters = this.of(key);
    counters.requests[code] = (counters.requests[code] ?? 0) + 1;
  }

  accepted(key: string, events: number): void {
    for (const c of [this.total, this.of(key)]) {
      c.batches.accepted += 1;
      c.events.accepted += events;
    }
  }

  duplicate(key: string): void {
    this.total.batches.duplicate += 1;
    this.of(key).batches.duplicate += 1;
  }

  rejected(key: string, at: number, error: string): void {
    this.total.batches.rejected += 1;
    this.of(key).batches.rejected += 1;
    this.rejections.push({ key, at, error });
    if (this.rejections.length > RECENT_REJECTIONS) this.rejections.shift();
  }

  view(stored: number): StatsView {
    return {
      ...structuredClone(this.total),
      keys: Object.fromEntries([...this.perKey].map(([k, c]) => [k, structuredClone(c)])),
      recentRejections: [...this.rejections],
      stored,
    };
  }

  reset(): void {
    this.total = emptyCounters();
    this.perKey = new Map();
    this.rejections = [];
  }
}
