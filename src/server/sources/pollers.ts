import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { DeliveryEngine } from '../../delivery/engine.js';
import { LeaseManager } from '../../delivery/leases.js';
import { BucketPollers } from '../../ingest/buckets/pollers.js';
import type { PollLeases } from '../../ingest/buckets/ports.js';
import type { ImportSink } from '../../ingest/importer.js';
import type { SecretBox } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import { SOURCE_LEASE } from '../../types.js';
import type { Metrics } from '../metrics.js';
import { sourceMetrics } from '../source-metrics.js';

/**
 * The storage pollers of a process that ingests (roles `all` and `ingest`): polling a bucket is taking events in,
 * like the push route, so the processes behind the load balancer share the sources and delivery processes stay
 * free to send. With several processes on one PostgreSQL, each source is polled by one of them at a time, through a
 * lease in the delivery lease table under a reserved name; a process that dies stops renewing it, and the one that
 * takes the source over goes on from the checkpoints and cursor in the store.
 */

export interface PollerServiceDeps {
  config: Config;
  store: Store;
  secrets: SecretBox;
  metrics: Metrics;
  engine: DeliveryEngine;
  logger: Logger;
  /** This process, as it heartbeats and holds leases. */
  owner: string;
}

/** What a polled object's events do: the log (first), quarantine, the ingest metrics, a wake-up for delivery. */
function sinkFor(deps: PollerServiceDeps, source: string): ImportSink {
  return async ({ events, quarantined }) => {
    const appended = await deps.store.append(events);
    if (quarantined.length > 0) await deps.store.addQuarantine(quarantined);
    deps.metrics.eventsAccepted.inc({ source }, appended.stored);
    if (appended.duplicateIndexes.length > 0) {
      deps.metrics.eventsDuplicate.inc({ source }, appended.duplicateIndexes.length);
    }
    deps.metrics.countFutureDated(source, events, appended.duplicateIndexes);
    const refused = quarantined.filter((q) => q.source.kind === 'file' && q.source.index !== undefined).length;
    if (refused > 0) deps.metrics.eventsQuarantined.inc({ source }, refused);
    if (appended.stored > 0) deps.engine.wake();
    return { stored: appended.stored, duplicates: appended.duplicateIndexes.length };
  };
}

/** Sources' poll leases over a LeaseManager whose keys are (SOURCE_LEASE, source id, 0). */
export function pollLeases(manager: LeaseManager): PollLeases {
  const key = (id: string) => ({ exportId: SOURCE_LEASE, feed: id, partition: 0 });
  const holds = (id: string) => manager.owns(SOURCE_LEASE, id, 0);
  return {
    async sync(ids) {
      const { toRelease } = await manager.tick(ids.map(key));
      return { mine: new Set(ids.filter(holds)), release: toRelease.map((k) => k.feed) };
    },
    holds,
    release: (ids) => manager.release(ids.map(key)),
    releaseAll: () => manager.releaseAll(),
  };
}

export async function startPollers(deps: PollerServiceDeps): Promise<{ stop(): Promise<void>; refresh(): void }> {
  const { config, store, logger } = deps;
  const ttlMs = config.delivery.leaseTtlMs;
  const leases = store.capabilities.multiProcess
    ? pollLeases(
        new LeaseManager({ store, owner: deps.owner, role: config.role, ttlMs, logger, roles: ['all', 'ingest'] }),
      )
    : undefined;
  const pollers = new BucketPollers({
    store,
    sinkFor: (source) => sinkFor(deps, source),
    decrypt: (enc) => deps.secrets.decrypt(enc),
    partitions: config.partitions,
    observer: sourceMetrics(deps.metrics, store),
    logger,
    // Leases are renewed at each refresh: four times per lease at least.
    refreshMs: Math.min(2_000, Math.max(100, ttlMs / 4)),
    ...(leases ? { leases } : {}),
  });
  await pollers.start();
  return { stop: () => pollers.stop(), refresh: () => void pollers.refresh() };
}
