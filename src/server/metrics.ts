import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MissingTally } from '../ingest/missing.js';
import type { Store } from '../store/port.js';
import { FUTURE_DATED_SECONDS, type NewEvent } from '../types.js';

/**
 * Prometheus metrics of the service. Ingest figures are counted here; the log's size is read from the store when
 * scraped. Delivery metrics are registered by the delivery observer (src/server/delivery-metrics.ts).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'currents_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly eventsAccepted = new Counter({
    name: 'currents_events_accepted_total',
    help: 'Events written to the log',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly eventsDuplicate = new Counter({
    name: 'currents_events_duplicate_total',
    help: 'Events dropped at ingest because their id was already in the log',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly eventsQuarantined = new Counter({
    name: 'currents_events_quarantined_total',
    help: 'Events refused at ingest and kept in quarantine',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  /** Series are bounded by the catalog: only its types and their non-nullable fields are ever labels. */
  readonly eventsMissingFields = new Counter({
    name: 'currents_events_missing_fields_total',
    help:
      'Events written to the log without a field the catalog marks non-nullable for their type (kept: only ' +
      'event_type, id and time are required), by type and field',
    labelNames: ['type', 'field'] as const,
    registers: [this.registry],
  });
  /** Types are the catalog's (validated events only), so the series are bounded by sources × types. */
  readonly eventsFutureDated = new Counter({
    name: 'currents_events_future_dated_total',
    help: 'Events written to the log dated more than a day after they were received (kept), by source and type',
    labelNames: ['source', 'type'] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'currents_commit_seconds',
    help: 'Time from a push request reaching the store to its events being committed',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Add a push's counts: one increment per type and field, whatever the number of events. */
  countMissing(tally: MissingTally): void {
    for (const { type, field, count } of tally.counts()) this.eventsMissingFields.inc({ type, field }, count);
  }

  /** Count the future-dated events among those stored (a duplicate was counted when it was first stored). */
  countFutureDated(source: string, events: readonly NewEvent[], duplicateIndexes: readonly number[]): void {
    const duplicates = new Set(duplicateIndexes);
    events.forEach((e, i) => {
      if (duplicates.has(i) || e.time <= Math.floor(e.receivedAt / 1000) + FUTURE_DATED_SECONDS) return;
      this.eventsFutureDated.inc({ source, type: e.type });
    });
  }

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry, prefix: 'currents_process_' });
    const registry = this.registry;
    let last: Awaited<ReturnType<Store['stats']>> | null = null;
    let lastAt = 0;
    // One store read serves the three gauges of a scrape.
    const stats = async () => {
      if (last === null || Date.now() - lastAt > 1000) {
        last = await store.stats();
        lastAt = Date.now();
      }
      return last;
    };
    new Gauge({
      name: 'currents_log_events',
      help: 'Events held in the log',
      registers: [registry],
      async collect() {
        this.set((await stats()).events);
      },
    });
    new Gauge({
      name: 'currents_log_bytes',
      help: 'Approximate bytes of event payloads held in the log',
      registers: [registry],
      async collect() {
        this.set((await stats()).bytes);
      },
    });
    new Gauge({
      name: 'currents_log_head_seq',
      help: 'Sequence number of the newest event in the log',
      registers: [registry],
      async collect() {
        this.set((await stats()).headSeq);
      },
    });
    new Gauge({
      name: 'currents_quarantine_records',
      help: 'Records waiting in quarantine',
      registers: [registry],
      async collect() {
        this.set(await store.countQuarantine());
      },
    });
  }
}
