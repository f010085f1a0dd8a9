import { Counter, Gauge } from 'prom-client';
import type { PollObserver } from '../ingest/buckets/ports.js';
import type { Store } from '../store/port.js';
import type { Metrics } from './metrics.js';

/**
 * Metrics of the storage sources: what this process's pollers read (counters), and each source's lag, read from the
 * store when scraped so every process answers the same.
 */
export function sourceMetrics(metrics: Metrics, store: Store, now: () => number = Date.now): PollObserver {
  const registers = [metrics.registry];
  const objects = new Counter({
    name: 'currents_source_objects_total',
    help: 'Objects of storage sources read (whole, or up to where they could not be read)',
    labelNames: ['source'] as const,
    registers,
  });
  const events = new Counter({
    name: 'currents_source_events_total',
    help: 'Events read from the objects of storage sources (stored, duplicates and quarantined)',
    labelNames: ['source'] as const,
    registers,
  });
  const bytes = new Counter({
    name: 'currents_source_bytes_total',
    help: 'Bytes of storage objects read',
    labelNames: ['source'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'currents_source_errors_total',
    help: 'Failed polls and objects of storage sources, by problem (access_denied, no_bucket, unreachable, throttled, other, corrupt)',
    labelNames: ['source', 'problem'] as const,
    registers,
  });
  new Gauge({
    name: 'currents_source_lag_seconds',
    help: 'Now minus the time of the newest object a storage source has read (its modification time)',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      this.reset();
      const sources = (await store.listSources()).filter((s) => s.config.kind !== 'http');
      const statuses = await Promise.all(sources.map((s) => store.getSourceStatus(s.id)));
      sources.forEach((s, i) => {
        const newest = statuses[i]?.newestObjectAt;
        if (newest != null) this.set({ source: s.id }, Math.max(0, (now() - newest) / 1000));
      });
    },
  });
  return {
    objectRead(source, o) {
      objects.inc({ source });
      events.inc({ source }, o.stored + o.duplicates + o.quarantined);
      bytes.inc({ source }, o.bytes);
    },
    failed(source, problem) {
      errors.inc({ source, problem });
    },
  };
}
