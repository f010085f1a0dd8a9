/** How a sandbox starts. Everything but the port has a default fit for tests and benchmarks. */
export interface SandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: the sandbox is a local test double, not a service. */
  host?: string;
  /** Feed credentials it accepts; more can be added through `POST /sandbox/feeds`. */
  feeds?: readonly { key: string; secret: string }[];
  /** Batches per second per key before 429 (default 270, mParticle's); null turns the limit off. */
  rateLimit?: number | null;
  /** Fraction of requests answered 500 or 503 (default 0). */
  errorRate?: number;
  /** Added to every Events API request (default 0). */
  latencyMs?: number;
  /** Batches kept for the read API (default 100,000); older ones are dropped, counters keep counting. */
  storeLimit?: number;
  /** `source_request_id`s remembered per key for dedup (default 1,000,000); the oldest are forgotten first. */
  dedupLimit?: number;
  /** The clock, ms; tests pass their own to check historical data and time windows. */
  now?: () => number;
}

export const DEFAULT_RATE_LIMIT = 270;
export const DEFAULT_STORE_LIMIT = 100_000;
export const DEFAULT_DEDUP_LIMIT = 1_000_000;
/** Requests of this size or more are refused with 413. */
export const MAX_REQUEST_BYTES = 256 * 1024;
export const MAX_BATCHES_PER_BULK = 100;
/** The historical endpoint takes only events at least this old. */
export const HISTORICAL_MIN_AGE_MS = 72 * 3600 * 1000;
