/**
 * The bytes of stored events that the lanes of one process hold at once, shared by all of them (every export, feed,
 * partition and replay), so that what delivery keeps in memory depends on this setting and not on how many lanes
 * there are or how far behind they are.
 *
 * A lane asks, before it reads, how many rows it may read (`rowsFor`): as many as fit in what is left, at the size of
 * the rows read so far, between `minRows` and its read chunk. It never waits: with the budget spent it still reads
 * `minRows`, so a lane whose requests are stuck in backoff cannot starve the others, and the bound is the budget plus
 * `minRows` rows per lane. What it read is then held (`hold`) until its step ends (`release`): the rows, and what is
 * built from them (batches, request bodies), which are about their size.
 */
export class ReadBudget {
  #held = 0;
  #bytes = 0;
  #rows = 0;

  constructor(
    readonly limitBytes: number,
    readonly minRows = 20,
    /** Bytes a row is taken to hold before any was read. */
    private readonly guessRowBytes = 1024,
  ) {}

  /** Bytes held now by every lane. */
  get held(): number {
    return this.#held;
  }

  /** Rows a lane may read now, `wanted` at most. */
  rowsFor(wanted: number): number {
    const perRow = this.#rows > 0 ? this.#bytes / this.#rows : this.guessRowBytes;
    const fit = Math.floor((this.limitBytes - this.#held) / Math.max(1, perRow));
    return Math.max(Math.min(this.minRows, wanted), Math.min(wanted, fit));
  }

  /** A lane read these rows: they count until it releases them. Returns what to release. */
  hold(rows: readonly { payload: string }[]): number {
    let bytes = 0;
    for (const r of rows) bytes += r.payload.length;
    this.#held += bytes;
    // A running mean that follows the traffic's row size (decays so a change of traffic is seen).
    this.#bytes = this.#bytes * 0.9 + bytes;
    this.#rows = this.#rows * 0.9 + rows.length;
    return bytes;
  }

  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
}
