import type { Outcome } from '../types.js';

/**
 * What delivery reports as it goes, for metrics. The server's Prometheus metrics implement it. (A feed's state is
 * not reported: the metric reads it from the store, where every process's changes land.)
 */
export interface DeliveryObserver {
  outcome(exportId: string, feed: string, type: string, outcome: Outcome, count: number): void;
  request(exportId: string, feed: string, status: number | null, seconds: number): void;
  rateLimitPercent(exportId: string, feed: string, percent: number): void;
}

export const SILENT_OBSERVER: DeliveryObserver = {
  outcome() {},
  request() {},
  rateLimitPercent() {},
};
