import type { FeedPhase, Outcome } from '../types.js';

/** What delivery reports as it goes, for metrics. The server's Prometheus metrics implement it. */
export interface DeliveryObserver {
  outcome(exportId: string, feed: string, type: string, outcome: Outcome, count: number): void;
  request(exportId: string, feed: string, status: number | null, seconds: number): void;
  rateLimitPercent(exportId: string, feed: string, percent: number): void;
  feedPhase(exportId: string, feed: string, phase: FeedPhase): void;
}

export const SILENT_OBSERVER: DeliveryObserver = {
  outcome() {},
  request() {},
  rateLimitPercent() {},
  feedPhase() {},
};
