import { Counter, Gauge, Histogram } from 'prom-client';
import type { DeliveryObserver } from '../delivery/observer.js';
import { snapshotOf } from '../delivery/snapshot.js';
import type { Store } from '../store/port.js';
import type { ExportState, FeedPhase, Outcome } from '../types.js';
import type { Metrics } from './metrics.js';

const PHASES: FeedPhase[] = ['flowing', 'retrying', 'credentials_rejected', 'paused'];

/** A paused export's feeds are paused, whatever they were when it was paused. */
function phaseOf(exportState: ExportState, stored: FeedPhase | undefined): FeedPhase {
  if (exportState === 'paused') return 'paused';
  return stored === undefined || stored === 'paused' ? 'flowing' : stored;
}

/**
 * Delivery metrics per export and feed, fed by the delivery engine as it goes; backlog and held events are counted
 * from the store when scraped (at most every 15 s, counting is not free on a large backlog).
 */
export function deliveryMetrics(metrics: Metrics, store: Store): DeliveryObserver {
  const registers = [metrics.registry];
  const events = new Counter({
    name: 'currents_delivery_events_total',
    help: 'Events by outcome: delivered, skipped (no external user id), dead_lettered, dropped, historical',
    labelNames: ['export', 'feed', 'outcome'] as const,
    registers,
  });
  const requests = new Counter({
    name: 'currents_delivery_requests_total',
    help: 'Requests to mParticle by HTTP status ("none" when no answer came)',
    labelNames: ['export', 'feed', 'status'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'currents_delivery_rate_limited_total',
    help: 'Requests answered 429 by mParticle',
    labelNames: ['export', 'feed'] as const,
    registers,
  });
  const percent = new Gauge({
    name: 'currents_delivery_rate_limit_percent_used',
    help: 'The last X-mp-rate-limit-percentage-used mParticle answered',
    labelNames: ['export', 'feed'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'currents_delivery_send_seconds',
    help: 'Time to send one request to mParticle and read its answer',
    labelNames: ['export', 'feed'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });

  let cached: {
    at: number;
    rows: { exportId: string; feed: string; events: number; oldest: number | null; phase: FeedPhase }[];
  } = {
    at: 0,
    rows: [],
  };
  let computing: Promise<void> | null = null;
  const backlog = async () => {
    if (Date.now() - cached.at < 15_000) return cached.rows;
    computing ??= (async () => {
      const rows: typeof cached.rows = [];
      for (const record of await store.listExports()) {
        const snapshot = snapshotOf(record);
        const [cursors, states] = await Promise.all([store.getCursors(record.id), store.getFeedStates(record.id)]);
        for (const plan of snapshot.plans) {
          let n = 0;
          let oldest: number | null = null;
          for (const c of cursors.filter((x) => x.feed === plan.id && x.generation === 0)) {
            const b = await store.countBacklog({
              partition: c.partition,
              afterSeq: c.seq,
              types: snapshot.types,
              ...snapshot.readFilter(plan.id),
            });
            n += b.events;
            if (b.oldestReceivedAt !== null) oldest = Math.min(oldest ?? b.oldestReceivedAt, b.oldestReceivedAt);
          }
          rows.push({
            exportId: record.id,
            feed: plan.id,
            events: n,
            oldest,
            phase: phaseOf(record.state, states[plan.id]?.phase),
          });
        }
      }
      cached = { at: Date.now(), rows };
    })().finally(() => {
      computing = null;
    });
    await computing;
    return cached.rows;
  };
  new Gauge({
    name: 'currents_delivery_backlog_events',
    help: 'Events waiting to be sent, per export and feed',
    labelNames: ['export', 'feed'] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of await backlog()) this.set({ export: r.exportId, feed: r.feed }, r.events);
    },
  });
  new Gauge({
    name: 'currents_delivery_backlog_oldest_seconds',
    help: 'Age of the oldest event waiting, per export and feed',
    labelNames: ['export', 'feed'] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of await backlog()) {
        this.set({ export: r.exportId, feed: r.feed }, r.oldest === null ? 0 : (Date.now() - r.oldest) / 1000);
      }
    },
  });
  new Gauge({
    name: 'currents_delivery_held_events',
    help: 'Events held because mParticle refused the feed credentials',
    labelNames: ['export', 'feed'] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of await backlog()) {
        this.set({ export: r.exportId, feed: r.feed }, r.phase === 'credentials_rejected' ? r.events : 0);
      }
    },
  });
  new Gauge({
    name: 'currents_feed_state',
    help: '1 for the state each feed of each export is in, 0 for the others',
    labelNames: ['export', 'feed', 'state'] as const,
    registers,
    // Read at every scrape (cheap: no counting), so a hold shows at once, whichever process decided it.
    async collect() {
      this.reset();
      for (const record of await store.listExports()) {
        const states = await store.getFeedStates(record.id);
        for (const plan of snapshotOf(record).plans) {
          const current = phaseOf(record.state, states[plan.id]?.phase);
          for (const p of PHASES) this.set({ export: record.id, feed: plan.id, state: p }, p === current ? 1 : 0);
        }
      }
    },
  });

  return {
    outcome(exportId: string, feed: string, _type: string, outcome: Outcome, count: number) {
      // not_string counts values of a field (its `type` is the field's name), not events.
      if (count > 0 && outcome !== 'not_string') events.inc({ export: exportId, feed, outcome }, count);
    },
    request(exportId: string, feed: string, status: number | null, seconds: number) {
      requests.inc({ export: exportId, feed, status: status === null ? 'none' : String(status) });
      if (status === 429) rateLimited.inc({ export: exportId, feed });
      latency.observe({ export: exportId, feed }, seconds);
    },
    rateLimitPercent(exportId: string, feed: string, value: number) {
      percent.set({ export: exportId, feed }, value);
    },
  };
}
