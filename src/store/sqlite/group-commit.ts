import { StoreUnavailableError, toError } from '../errors.js';

export interface GroupCommitOptions {
  /** 0: flush on the next macrotask (setImmediate); otherwise wait this long to gather more callers. */
  delayMs: number;
  logger?: { warn(obj: object, msg: string): void } | undefined;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: Error): void;
}

/**
 * Coalesces concurrent submissions (many HTTP requests arriving together) into one transaction, so one fsync covers
 * them all. Each caller's promise settles only after `commit` has returned, i.e. after COMMIT: a server that awaits
 * it answers 2xx only once its events are on disk.
 *
 * `commit` receives every queued item and returns one output per item, in order. If it throws for a reason other
 * than the store being unavailable, the items are retried one by one, so one caller's bad input does not fail the
 * others who happened to share its transaction.
 */
export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  /** Cancels the scheduled flush; null when none is scheduled. */
  private cancel: (() => void) | null = null;

  constructor(
    private readonly commit: (items: readonly I[]) => O[],
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Commit whatever is queued now (close() calls this so no accepted caller is left waiting). */
  flush(): void {
    this.cancel?.();
    this.cancel = null;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    try {
      const outputs = this.commit(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(outputs[i] as O));
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
      for (const w of batch) {
        try {
          w.resolve(this.commit([w.item])[0] as O);
        } catch (single) {
          w.reject(toError(single));
        }
      }
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.cancel !== null) return;
    const run = (): void => {
      this.cancel = null;
      this.flush();
    };
    if (this.options.delayMs > 0) {
      const t = setTimeout(run, this.options.delayMs);
      this.cancel = () => clearTimeout(t);
    } else {
      const t = setImmediate(run);
      this.cancel = () => clearImmediate(t);
    }
  }
}
