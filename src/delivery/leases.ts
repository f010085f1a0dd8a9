import type { Logger } from 'pino';
import { toError } from '../store/errors.js';
import type { LeaseKey, Store } from '../store/port.js';
import type { Lease } from '../types.js';

/**
 * Sharing delivery between processes (PostgreSQL): each (export, feed, partition) is sent by the one process that
 * holds its lease. Every process computes the same even assignment of keys over the live delivery processes
 * (sorted owners, keys dealt round-robin), claims its own keys and renews them; a key it no longer should have is
 * released once its lane has stopped. A process that dies stops renewing: its leases expire after `ttlMs` and their
 * new owners take over from the last committed cursor. A lane sends only while its lease has a safety margin left,
 * and its commits are fenced by the lease, so two processes never advance the same partition.
 *
 * States of a key for this process: unassigned → wanted (assigned, maybe still held elsewhere) → held → released.
 */
export interface LeaseManagerOptions {
  store: Store;
  owner: string;
  role: string;
  ttlMs: number;
  logger: Logger;
  now?: () => number;
  /** The roles of the processes that share these keys (default: those that deliver, `all` and `deliver`). */
  roles?: readonly string[];
}

const DELIVERING = ['all', 'deliver'];

const keyOf = (k: LeaseKey): string => `${k.exportId}\u0000${k.feed}\u0000${k.partition}`;

export class LeaseManager {
  readonly #held = new Map<string, Lease>();
  #wanted = new Set<string>();
  /** Per export: keys in all, keys assigned to this process (for its share of the export's rate limit). */
  #shares = new Map<string, { all: number; mine: number }>();
  readonly #now: () => number;

  constructor(private readonly opts: LeaseManagerOptions) {
    this.#now = opts.now ?? Date.now;
  }

  get owner(): string {
    return this.opts.owner;
  }

  /**
   * Whether this process may send for the key now: the key is assigned to it and it holds the lease with a third of
   * its time left at least.
   */
  owns(exportId: string, feed: string, partition: number): boolean {
    const key = keyOf({ exportId, feed, partition });
    const lease = this.#held.get(key);
    return this.#wanted.has(key) && lease !== undefined && lease.expiresAt - this.#now() > this.opts.ttlMs / 3;
  }

  /** The keys this process should hold among `all`, given the processes alive now. */
  async assignment(all: readonly LeaseKey[]): Promise<LeaseKey[]> {
    const now = this.#now();
    await this.opts.store.heartbeat(this.opts.owner, now, this.opts.role);
    const alive = (await this.opts.store.liveProcesses(now - this.opts.ttlMs))
      .filter((p) => (this.opts.roles ?? DELIVERING).includes(p.role))
      .map((p) => p.owner);
    if (!alive.includes(this.opts.owner)) alive.push(this.opts.owner);
    alive.sort();
    const me = alive.indexOf(this.opts.owner);
    const sorted = [...all].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    return sorted.filter((_, i) => i % alive.length === me);
  }

  /**
   * One round: heartbeat, compute the assignment, claim or renew the assigned keys. Returns the keys held before
   * that are no longer assigned: the caller stops their lanes, then calls `release`.
   */
  async tick(all: readonly LeaseKey[]): Promise<{ changed: boolean; toRelease: LeaseKey[] }> {
    const wanted = await this.assignment(all);
    const now = this.#now();
    const before = new Set(this.#held.keys());
    let got: Lease[];
    try {
      got = await this.opts.store.claimLeases(this.opts.owner, wanted, now, this.opts.ttlMs);
    } catch (e) {
      // Without the store nothing can be renewed: leases run out on their own and lanes stop sending.
      this.opts.logger.warn({ err: toError(e) }, 'could not renew delivery leases');
      return { changed: false, toRelease: [] };
    }
    const wantedKeys = new Set(wanted.map(keyOf));
    this.#wanted = wantedKeys;
    const shares = new Map<string, { all: number; mine: number }>();
    for (const k of all) {
      const s = shares.get(k.exportId) ?? { all: 0, mine: 0 };
      s.all += 1;
      if (wantedKeys.has(keyOf(k))) s.mine += 1;
      shares.set(k.exportId, s);
    }
    this.#shares = shares;
    for (const lease of got) this.#held.set(keyOf(lease), lease);
    const gotKeys = new Set(got.map(keyOf));
    for (const [k, lease] of this.#held) {
      // A wanted key not renewed was lost (taken after it expired): forget it.
      if (wantedKeys.has(k) && !gotKeys.has(k)) this.#held.delete(k);
      else if (!wantedKeys.has(k) && lease.expiresAt <= now) this.#held.delete(k);
    }
    const toRelease = [...this.#held.entries()]
      .filter(([k]) => !wantedKeys.has(k))
      .map(([, l]) => ({ exportId: l.exportId, feed: l.feed, partition: l.partition }));
    const after = new Set(this.#held.keys());
    const changed = before.size !== after.size || [...after].some((k) => !before.has(k)) || toRelease.length > 0;
    return { changed, toRelease };
  }

  /**
   * This process's share of an export's work (keys assigned to it ÷ all keys): mParticle's rate limit is for the
   * whole export, so each process sends at that fraction of it.
   */
  share(exportId: string): number {
    const s = this.#shares.get(exportId);
    return s === undefined || s.all === 0 ? 0 : s.mine / s.all;
  }

  /** Give keys back once their lanes have stopped, so their new owner need not wait for expiry. */
  async release(keys: readonly LeaseKey[]): Promise<void> {
    if (keys.length === 0) return;
    for (const k of keys) this.#held.delete(keyOf(k));
    await this.opts.store.releaseLeases(this.opts.owner, keys);
  }

  /** Stop: give back everything. */
  async releaseAll(): Promise<void> {
    const keys = [...this.#held.values()].map((l) => ({ exportId: l.exportId, feed: l.feed, partition: l.partition }));
    this.#held.clear();
    try {
      await this.opts.store.releaseLeases(this.opts.owner, keys);
    } catch (e) {
      this.opts.logger.warn({ err: toError(e) }, 'could not release delivery leases; they will expire');
    }
  }
}
