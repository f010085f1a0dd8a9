import { StoreUnavailableError, toError } from '../errors.js';

export interface GroupCommitOptions<I> {
  /** A transaction takes queued items up to this total weight (at least one item). */
  maxWeight: number;
  weigh(item: I): number;
  logger?: { warn(obj: object, msg: string): void } | undefined;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: Error): void;
}

/**
 * Coalesces concurrent submissions into one transaction. One transaction is in flight at a time; whatever arrives
 * meanwhile waits and goes into the next one, so under load each transaction carries many callers and the append
 * lock and the commit's WAL flush are paid once for all of them. Each caller's promise settles after COMMIT.
 *
 * `commit` receives the items and returns one output per item, in order. If it fails for a reason other than the
 * store being unavailable, the items are retried one by one, so one caller's bad input does not fail the others.
 */
export class AsyncGroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly commit: (items: readonly I[]) => Promise<O[]>,
    private readonly options: GroupCommitOptions<I>,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.run();
    });
  }

  /** Resolves once everything submitted so far is settled. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  get pending(): number {
    return this.queue.length;
  }

  private async run(): Promise<void> {
    // Callers of the same tick (a burst of HTTP requests parsed together) share the first transaction.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) await this.commitBatch(this.take());
    this.running = null;
  }

  private take(): Waiting<I, O>[] {
    let weight = 0;
    let n = 0;
    while (n < this.queue.length) {
      weight += this.options.weigh(this.queue[n]!.item);
      if (n > 0 && weight > this.options.maxWeight) break;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  private async commitBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.commit(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(outputs[i] as O));
      return;
    } catch (e) {
      const error = toError(e);
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const w of batch) w.reject(error);
        return;
      }
      this.options.logger?.warn(
        { err: error.message, callers: batch.length },
        'group commit failed; committing each caller on its own',
      );
    }
    for (const w of batch) {
      try {
        w.resolve((await this.commit([w.item]))[0] as O);
      } catch (single) {
        w.reject(toError(single));
      }
    }
  }
}
