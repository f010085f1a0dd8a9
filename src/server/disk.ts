import { statfs } from 'node:fs/promises';
import { StoreUnavailableError } from '../store/errors.js';

/**
 * Refuses writes before the disk is full: SQLite would fail mid-transaction at 0 bytes, and an answer of 503 with
 * Retry-After lets Braze resend later instead of losing events. The free space is read at most once a second.
 */
export class DiskGuard {
  #checkedAt = 0;
  #freeMb = Number.POSITIVE_INFINITY;

  constructor(
    private readonly dir: string,
    private readonly minFreeMb: number,
  ) {}

  async freeMb(now = Date.now()): Promise<number> {
    if (now - this.#checkedAt >= 1000) {
      const s = await statfs(this.dir);
      this.#freeMb = (s.bavail * s.bsize) / (1024 * 1024);
      this.#checkedAt = now;
    }
    return this.#freeMb;
  }

  async assertRoom(): Promise<void> {
    if (this.minFreeMb <= 0) return;
    const free = await this.freeMb();
    if (free < this.minFreeMb) {
      throw new StoreUnavailableError(
        `only ${free.toFixed(0)} MB free in ${this.dir}, below the minimum of ${this.minFreeMb} MB: free disk space ` +
          'or lower CURRENTS_MIN_FREE_DISK_MB',
        { retryAfterSeconds: 30 },
      );
    }
  }
}
