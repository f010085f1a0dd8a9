import type { Logger } from 'pino';
import type { Credentials, FeedPlan, MpClient, MpOutcome } from '../mparticle/index.js';
import { toError } from '../store/errors.js';
import type { Store } from '../store/port.js';
import type { FeedPhase, FeedState } from '../types.js';
import type { Clock } from './clock.js';
import type { Notifier } from './notify.js';
import { Wakeup } from './signal.js';

/**
 * The state of one feed of one export, shared by its lanes (one per partition) and by every process sending it.
 *
 *   flowing ──5xx, timeout, connection error──► retrying ──2xx──► flowing
 *   flowing | retrying ──401, 403, 404──► credentials_rejected ──probe answered 2xx──► flowing
 *
 * While credentials are rejected no lane sends: they hold their events and drop those that waited longer than the
 * hold window. The feed is probed with an empty request every probe interval, and at once after the export changed.
 *
 * The state lives in the store and every change is a compare-and-set on its version, so that when several processes
 * see the same refusal (or the same probe time) exactly one of them makes the change and does what goes with it: one
 * mail and one entry in the export's errors per hold and per resume, one probe per interval. The others adopt the
 * stored state, now (their own change lost the race) or at the next `sync` (the runner calls it every few seconds).
 * (`paused` is the export's state, shown per feed by the status; a pause does not end a hold.)
 */
/** Drop notices of all lanes within this time go out as one mail. */
const DROP_NOTICE_GATHER_MS = 2_000;
/** A 429 is written into the feed's last error at most this often. */
const RATE_LIMIT_NOTE_MS = 60_000;
/** The last delivery time is saved at most this often (a phase change at once). */
const PERSIST_DELIVERY_MS = 5_000;

export interface FeedDeps {
  exportId: string;
  exportName: () => string;
  contactEmail: () => string;
  holdWindowMs: () => number;
  /** When the export was last changed (ms): a held feed is probed at once after a change (new credentials). */
  changedAt: () => number;
  store: Store;
  client: () => MpClient;
  notifier: Notifier;
  logger: Logger;
  probeIntervalMs: number;
  clock: Clock;
}

const INITIAL: FeedState = {
  phase: 'flowing',
  heldSince: null,
  lastError: null,
  lastDeliveryAt: null,
  lastProbeAt: null,
  notifiedAt: null,
  rateLimitPercentUsed: null,
};

export class FeedController {
  readonly changed: Wakeup;
  #state: FeedState = INITIAL;
  #version = 0;
  #creds: Credentials;
  #retryingSince: number | null = null;
  #cancelProbe: (() => void) | null = null;
  #probing: Promise<void> | null = null;
  #stopped = false;
  #pendingDrops: { count: number; reason: string } | null = null;
  #cancelDrops: (() => void) | null = null;
  #persistedAt = 0;
  #rateLimitNotedAt = -Infinity;

  constructor(
    readonly plan: FeedPlan,
    creds: Credentials,
    private readonly deps: FeedDeps,
  ) {
    this.#creds = creds;
    this.changed = new Wakeup(deps.clock);
  }

  get id(): string {
    return this.plan.id;
  }

  get phase(): FeedPhase {
    return this.#state.phase;
  }

  get heldSince(): number | null {
    return this.#state.heldSince;
  }

  /** Since when this process's requests keep failing with 5xx, timeouts or connection errors; null once one succeeds. */
  get retryingSince(): number | null {
    return this.#retryingSince;
  }

  get credentials(): Credentials {
    return this.#creds;
  }

  get state(): FeedState {
    return this.#state;
  }

  /** Read the stored state and adopt it (at start, and every few seconds: another process may have changed it). */
  async sync(): Promise<void> {
    try {
      const stored = await this.deps.store.getFeedState(this.deps.exportId, this.id);
      if (stored === null || stored.version === this.#version) return;
      this.#adopt(stored.state, stored.version);
    } catch (e) {
      this.deps.logger.warn(
        { err: toError(e), exportId: this.deps.exportId, feed: this.id },
        'could not read feed state',
      );
    }
  }

  /** New credentials (a PATCH): a held feed is probed at once. */
  updateCredentials(creds: Credentials): void {
    const changed = creds.key !== this.#creds.key || creds.secret !== this.#creds.secret;
    this.#creds = creds;
    if (changed && this.phase === 'credentials_rejected') this.#scheduleProbe(0);
  }

  async delivered(percentUsed: number | null): Promise<void> {
    const now = this.deps.clock.now();
    this.#retryingSince = null;
    const wasRetrying = this.#state.phase === 'retrying';
    if (!wasRetrying && now - this.#persistedAt < PERSIST_DELIVERY_MS) {
      this.#state = {
        ...this.#state,
        lastDeliveryAt: now,
        rateLimitPercentUsed: percentUsed ?? this.#state.rateLimitPercentUsed,
      };
      return;
    }
    this.#persistedAt = now;
    await this.#swap((s) => ({
      ...s,
      phase: s.phase === 'retrying' ? 'flowing' : s.phase,
      lastDeliveryAt: Math.max(now, s.lastDeliveryAt ?? 0),
      rateLimitPercentUsed: percentUsed ?? s.rateLimitPercentUsed,
    }));
  }

  async failing(outcome: MpOutcome): Promise<void> {
    this.#retryingSince ??= this.deps.clock.now();
    if (this.#state.phase !== 'flowing') return;
    const won = await this.#swap((s) =>
      s.phase === 'flowing' ? { ...s, phase: 'retrying', lastError: outcome.message } : null,
    );
    if (won) await this.#recordError(outcome.message);
  }

  /**
   * A 429: the feed keeps its phase (nothing is wrong with it, the export waits), but its last error says why nothing
   * moves, at most once a minute.
   */
  async rateLimited(outcome: MpOutcome): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.#rateLimitNotedAt < RATE_LIMIT_NOTE_MS) return;
    this.#rateLimitNotedAt = now;
    await this.#swap((s) => (s.lastError === outcome.message ? null : { ...s, lastError: outcome.message }));
  }

  /** A lane was answered 401/403/404: hold the feed, tell the contact once, start probing. */
  async hold(outcome: MpOutcome): Promise<void> {
    const now = this.deps.clock.now();
    const won = await this.#swap((s) =>
      s.phase === 'credentials_rejected'
        ? null
        : { ...s, phase: 'credentials_rejected', heldSince: s.heldSince ?? now, lastError: outcome.message },
    );
    this.changed.notify();
    this.#scheduleProbe(this.deps.probeIntervalMs);
    if (!won) return;
    const deadline = new Date((this.#state.heldSince ?? now) + this.deps.holdWindowMs()).toISOString();
    const text =
      `The ${this.id} feed of the export "${this.deps.exportName()}" was refused by mParticle: ${outcome.message}\n\n` +
      `Its events are held. Events still waiting at ${deadline} (and then each event after waiting the hold window) ` +
      `will be dropped and recorded. Update the key and secret on the export's page; the feed resumes on its own ` +
      `once mParticle accepts them.`;
    await this.#recordError(`${this.id}: ${outcome.message} Events are held; drops start at ${deadline}.`);
    await this.deps.notifier.notify({
      kind: 'credentials_rejected',
      exportId: this.deps.exportId,
      exportName: this.deps.exportName(),
      contactEmail: this.deps.contactEmail(),
      feed: this.id,
      subject: `[currents] ${this.deps.exportName()}: mParticle refused the ${this.id} feed's credentials`,
      text,
    });
    const at = this.deps.clock.now();
    await this.#swap((s) => (s.phase === 'credentials_rejected' ? { ...s, notifiedAt: at } : null));
  }

  /**
   * Tell the contact that events were dropped. Every lane drops its own partition's events, so the notices of a few
   * seconds are gathered into one mail.
   */
  droppedNotice(count: number, reason: string): void {
    this.#pendingDrops = { count: (this.#pendingDrops?.count ?? 0) + count, reason };
    this.#cancelDrops ??= this.deps.clock.timer(DROP_NOTICE_GATHER_MS, () => {
      this.#cancelDrops = null;
      void this.#flushDrops();
    });
  }

  async #flushDrops(): Promise<void> {
    const pending = this.#pendingDrops;
    this.#pendingDrops = null;
    if (pending === null) return;
    await this.#recordError(`${this.id}: ${pending.count} events dropped: ${pending.reason}`);
    await this.deps.notifier.notify({
      kind: 'dropped',
      exportId: this.deps.exportId,
      exportName: this.deps.exportName(),
      contactEmail: this.deps.contactEmail(),
      feed: this.id,
      subject: `[currents] ${this.deps.exportName()}: ${pending.count} events dropped from the ${this.id} feed`,
      text:
        `${pending.count} events of the ${this.id} feed were dropped: ${pending.reason}\n` +
        "The export's page lists every drop by type, count and time range.",
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelProbe?.();
    this.#cancelProbe = null;
    this.#cancelDrops?.();
    this.#cancelDrops = null;
    this.changed.notify();
  }

  /** Wait for the running probe, if any, and send a drop notice still gathering (shutdown). */
  async settle(): Promise<void> {
    await this.#probing;
    await this.#flushDrops();
  }

  #adopt(state: FeedState, version: number): void {
    const before = this.#state.phase;
    // `paused` was written by versions that kept the export's pause per feed; a pause does not hold a feed.
    this.#state = state.phase === 'paused' ? { ...state, phase: 'flowing' } : state;
    this.#version = version;
    if (this.#state.phase === before) return;
    if (this.#state.phase === 'credentials_rejected') this.#scheduleProbe(this.deps.probeIntervalMs);
    this.changed.notify();
  }

  /**
   * Change the stored state from what it is: `change` gets the current state and returns the next one, or null when
   * there is nothing to change. On a version conflict the stored state is read and `change` asked again. True when
   * this process wrote the change.
   */
  async #swap(change: (s: FeedState) => FeedState | null): Promise<boolean> {
    for (let tries = 0; tries < 5; tries++) {
      const next = change(this.#state);
      if (next === null) return false;
      try {
        if (await this.deps.store.swapFeedState(this.deps.exportId, this.id, this.#version, next)) {
          this.#adopt(next, this.#version + 1);
          return true;
        }
      } catch (e) {
        this.deps.logger.warn(
          { err: toError(e), exportId: this.deps.exportId, feed: this.id },
          'could not save feed state',
        );
        return false;
      }
      await this.sync();
    }
    return false;
  }

  async #recordError(message: string): Promise<void> {
    try {
      await this.deps.store.addError({
        exportId: this.deps.exportId,
        feed: this.id,
        message,
        at: this.deps.clock.now(),
      });
    } catch (e) {
      this.deps.logger.warn({ err: toError(e) }, 'could not record an export error');
    }
  }

  #scheduleProbe(ms: number): void {
    if (this.#stopped) return;
    this.#cancelProbe?.();
    this.#cancelProbe = this.deps.clock.timer(ms, () => {
      this.#cancelProbe = null;
      this.#probing ??= this.#probe().finally(() => {
        this.#probing = null;
      });
    });
  }

  async #probe(): Promise<void> {
    await this.sync();
    if (this.#stopped || this.phase !== 'credentials_rejected') return;
    const now = this.deps.clock.now();
    // One process probes per interval (or once after the export changed); the others wait for its result.
    const due = (s: FeedState): boolean =>
      s.lastProbeAt === null ||
      now - s.lastProbeAt >= this.deps.probeIntervalMs * 0.9 ||
      s.lastProbeAt < this.deps.changedAt();
    const claimed = await this.#swap((s) =>
      s.phase === 'credentials_rejected' && due(s) ? { ...s, lastProbeAt: now } : null,
    );
    if (!claimed) {
      if (this.phase === 'credentials_rejected') this.#scheduleProbe(this.deps.probeIntervalMs);
      return;
    }
    const outcome = await this.deps.client().probe(this.#creds);
    if (outcome.action !== 'done') {
      await this.#swap((s) => (s.phase === 'credentials_rejected' ? { ...s, lastError: outcome.message } : null));
      this.#scheduleProbe(this.deps.probeIntervalMs);
      return;
    }
    const heldSince = this.#state.heldSince;
    const resumed = await this.#swap((s) =>
      s.phase === 'credentials_rejected'
        ? { ...s, phase: 'flowing', heldSince: null, lastError: null, notifiedAt: null }
        : null,
    );
    this.#retryingSince = null;
    if (!resumed) return;
    const heldFor = heldSince === null ? 0 : this.deps.clock.now() - heldSince;
    await this.#recordError(`${this.id}: mParticle accepts the credentials again; held events are being sent.`);
    await this.deps.notifier.notify({
      kind: 'resumed',
      exportId: this.deps.exportId,
      exportName: this.deps.exportName(),
      contactEmail: this.deps.contactEmail(),
      feed: this.id,
      subject: `[currents] ${this.deps.exportName()}: the ${this.id} feed flows again`,
      text: `mParticle accepts the ${this.id} feed's credentials again after ${Math.round(heldFor / 60_000)} minutes; held events are being sent.`,
    });
  }
}
