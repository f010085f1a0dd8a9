import type { Logger } from 'pino';
import type { Credentials, FeedPlan, MpClient, MpOutcome } from '../mparticle/index.js';
import { toError } from '../store/errors.js';
import type { Store } from '../store/port.js';
import type { FeedPhase, FeedState } from '../types.js';
import type { Notifier } from './notify.js';
import type { DeliveryObserver } from './observer.js';
import { Wakeup } from './signal.js';

/**
 * The state of one feed of one export, shared by its lanes (one per partition).
 *
 *   flowing ──5xx, timeout, connection error──► retrying ──2xx──► flowing
 *   flowing | retrying ──401, 403, 404──► credentials_rejected ──probe answered 2xx──► flowing
 *
 * While credentials are rejected no lane sends: they hold their events and drop those that waited longer than the
 * hold window. The feed probes mParticle with an empty request every probe interval, and at once when the
 * credentials change. The state is kept in the store so that every process and the dashboard see it.
 * (`paused` is the export's state, shown per feed by the status; a pause does not end a hold.)
 */
/** Drop notices of all lanes within this time go out as one mail. */
const DROP_NOTICE_GATHER_MS = 2_000;

export interface FeedDeps {
  exportId: string;
  exportName: () => string;
  contactEmail: () => string;
  holdWindowMs: () => number;
  store: Store;
  client: () => MpClient;
  notifier: Notifier;
  observer: DeliveryObserver;
  logger: Logger;
  probeIntervalMs: number;
  now: () => number;
}

export class FeedController {
  readonly changed = new Wakeup();
  #state: FeedState;
  #creds: Credentials;
  #retryingSince: number | null = null;
  #probeTimer: NodeJS.Timeout | null = null;
  #probing: Promise<void> | null = null;
  #stopped = false;
  #pendingDrops: { count: number; reason: string } | null = null;
  #dropTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly plan: FeedPlan,
    creds: Credentials,
    initial: FeedState | undefined,
    private readonly deps: FeedDeps,
  ) {
    this.#creds = creds;
    this.#state = initial ?? {
      phase: 'flowing',
      heldSince: null,
      lastError: null,
      lastDeliveryAt: null,
      lastProbeAt: null,
      notifiedAt: null,
      rateLimitPercentUsed: null,
    };
    if (this.#state.phase === 'paused') this.#state = { ...this.#state, phase: 'flowing' };
    if (this.#state.phase === 'credentials_rejected') this.#scheduleProbe(0);
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

  /** Since when requests keep failing with 5xx, timeouts or connection errors; null when the last one succeeded. */
  get retryingSince(): number | null {
    return this.#retryingSince;
  }

  get credentials(): Credentials {
    return this.#creds;
  }

  get state(): FeedState {
    return this.#state;
  }

  /** New credentials (a PATCH): a held feed is probed at once. */
  updateCredentials(creds: Credentials): void {
    const changed = creds.key !== this.#creds.key || creds.secret !== this.#creds.secret;
    this.#creds = creds;
    if (changed && this.phase === 'credentials_rejected') this.#scheduleProbe(0);
  }

  async delivered(percentUsed: number | null): Promise<void> {
    const now = this.deps.now();
    const wasRetrying = this.#state.phase === 'retrying';
    this.#retryingSince = null;
    this.#state = {
      ...this.#state,
      phase: this.#state.phase === 'credentials_rejected' ? this.#state.phase : 'flowing',
      lastDeliveryAt: now,
      rateLimitPercentUsed: percentUsed ?? this.#state.rateLimitPercentUsed,
    };
    // The last delivery time is persisted at most every few seconds; a phase change at once.
    if (wasRetrying || now - this.#persistedAt > 5_000) await this.#persist();
  }

  async failing(outcome: MpOutcome): Promise<void> {
    const now = this.deps.now();
    this.#retryingSince ??= now;
    if (this.#state.phase === 'flowing') {
      this.#state = { ...this.#state, phase: 'retrying', lastError: outcome.message };
      await this.#persist();
      await this.#recordError(outcome.message);
    }
  }

  /** A lane was answered 401/403/404: hold the feed, tell the contact once, start probing. */
  async hold(outcome: MpOutcome): Promise<void> {
    if (this.#state.phase === 'credentials_rejected') return;
    const now = this.deps.now();
    this.#state = {
      ...this.#state,
      phase: 'credentials_rejected',
      heldSince: this.#state.heldSince ?? now,
      lastError: outcome.message,
    };
    await this.#persist();
    this.changed.notify();
    this.deps.observer.feedPhase(this.deps.exportId, this.id, 'credentials_rejected');
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
    this.#state = { ...this.#state, notifiedAt: this.deps.now() };
    await this.#persist();
    this.#scheduleProbe(this.deps.probeIntervalMs);
  }

  /**
   * Tell the contact that events were dropped. Every lane drops its own partition's events, so the notices of a few
   * seconds are gathered into one mail.
   */
  droppedNotice(count: number, reason: string): void {
    this.#pendingDrops = { count: (this.#pendingDrops?.count ?? 0) + count, reason };
    this.#dropTimer ??= setTimeout(() => {
      this.#dropTimer = null;
      void this.#flushDrops();
    }, DROP_NOTICE_GATHER_MS);
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
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    if (this.#dropTimer) clearTimeout(this.#dropTimer);
    this.#dropTimer = null;
    this.changed.notify();
  }

  /** Wait for the running probe, if any, and send a drop notice still gathering (shutdown). */
  async settle(): Promise<void> {
    await this.#probing;
    await this.#flushDrops();
  }

  #persistedAt = 0;

  async #persist(): Promise<void> {
    this.#persistedAt = this.deps.now();
    try {
      await this.deps.store.putFeedState(this.deps.exportId, this.id, this.#state);
    } catch (e) {
      this.deps.logger.warn(
        { err: toError(e), exportId: this.deps.exportId, feed: this.id },
        'could not save feed state',
      );
    }
  }

  async #recordError(message: string): Promise<void> {
    try {
      await this.deps.store.addError({ exportId: this.deps.exportId, feed: this.id, message, at: this.deps.now() });
    } catch (e) {
      this.deps.logger.warn({ err: toError(e) }, 'could not record an export error');
    }
  }

  #scheduleProbe(ms: number): void {
    if (this.#stopped) return;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      this.#probing ??= this.#probe().finally(() => {
        this.#probing = null;
      });
    }, ms);
  }

  async #probe(): Promise<void> {
    if (this.#stopped || this.phase !== 'credentials_rejected') return;
    const outcome = await this.deps.client().probe(this.#creds);
    this.#state = { ...this.#state, lastProbeAt: this.deps.now() };
    if (outcome.action !== 'done') {
      this.#state = { ...this.#state, lastError: outcome.message };
      await this.#persist();
      this.#scheduleProbe(this.deps.probeIntervalMs);
      return;
    }
    const heldFor = this.#state.heldSince === null ? 0 : this.deps.now() - this.#state.heldSince;
    this.#state = { ...this.#state, phase: 'flowing', heldSince: null, lastError: null, notifiedAt: null };
    this.#retryingSince = null;
    await this.#persist();
    this.deps.observer.feedPhase(this.deps.exportId, this.id, 'flowing');
    this.changed.notify();
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
