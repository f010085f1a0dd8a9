import { z } from 'zod';

/**
 * Faults the sandbox injects into its Events API, set by flags at start and by `POST /sandbox/faults`:
 * - errorRate:   fraction of requests answered 500 or 503.
 * - latencyMs:   added to every request.
 * - outage:      every request answered 503 between two times (ms).
 * - revoked:     keys answered 403 until restored or until a time.
 * - rateLimited: requests answered 429, for a count of requests and/or until a time, with or without Retry-After.
 * - poison:      identity values; a request holding a batch with one of them is refused as a whole with 400.
 */
export interface RateLimitedFault {
  /** Requests still to refuse; null: no count (then `until` bounds it, or it lasts until cleared). */
  remaining: number | null;
  until: number | null;
  /** Sent as Retry-After; null sends no Retry-After. */
  retryAfterSeconds: number | null;
}

export interface FaultState {
  errorRate: number;
  latencyMs: number;
  outage: { from: number; until: number } | null;
  /** key -> until (ms), or null for "until restored". */
  revoked: Map<string, number | null>;
  rateLimited: RateLimitedFault | null;
  poison: string[];
}

export function noFaults(): FaultState {
  return { errorRate: 0, latencyMs: 0, outage: null, revoked: new Map(), rateLimited: null, poison: [] };
}

const seconds = z
  .number()
  .positive()
  .max(365 * 24 * 3600);

/** The body of `POST /sandbox/faults`: only the fields given change; null clears a fault. */
export const faultPatch = z
  .object({
    errorRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    outage: z
      .union([z.object({ seconds }).strict(), z.object({ from: z.number(), until: z.number() }).strict(), z.null()])
      .optional(),
    revoke: z
      .object({ key: z.string().min(1), seconds: seconds.optional() })
      .strict()
      .optional(),
    restore: z
      .object({ key: z.string().min(1) })
      .strict()
      .optional(),
    rateLimited: z
      .union([
        z
          .object({
            count: z.number().int().positive().optional(),
            seconds: seconds.optional(),
            retryAfterSeconds: z.number().int().min(0).nullable().optional(),
          })
          .strict(),
        z.null(),
      ])
      .optional(),
    poison: z.union([z.array(z.string().min(1)), z.null()]).optional(),
  })
  .strict();

export type FaultPatch = z.infer<typeof faultPatch>;

export function applyFaultPatch(state: FaultState, patch: FaultPatch, now: number): void {
  if (patch.errorRate !== undefined) state.errorRate = patch.errorRate;
  if (patch.latencyMs !== undefined) state.latencyMs = patch.latencyMs;
  if (patch.outage !== undefined) {
    state.outage =
      patch.outage === null
        ? null
        : 'seconds' in patch.outage
          ? { from: now, until: now + patch.outage.seconds * 1000 }
          : { from: patch.outage.from, until: patch.outage.until };
  }
  if (patch.revoke !== undefined) revoke(state, patch.revoke.key, patch.revoke.seconds, now);
  if (patch.restore !== undefined) state.revoked.delete(patch.restore.key);
  if (patch.rateLimited !== undefined) {
    const rule = patch.rateLimited;
    state.rateLimited =
      rule === null
        ? null
        : {
            remaining: rule.count ?? null,
            until: rule.seconds === undefined ? null : now + rule.seconds * 1000,
            retryAfterSeconds: rule.retryAfterSeconds === undefined ? 1 : rule.retryAfterSeconds,
          };
  }
  if (patch.poison !== undefined) state.poison = patch.poison ?? [];
}

export function revoke(state: FaultState, key: string, forSeconds: number | undefined, now: number): void {
  state.revoked.set(key, forSeconds === undefined ? null : now + forSeconds * 1000);
}

export function isRevoked(state: FaultState, key: string, now: number): boolean {
  if (!state.revoked.has(key)) return false;
  const until = state.revoked.get(key) ?? null;
  if (until !== null && now >= until) {
    state.revoked.delete(key);
    return false;
  }
  return true;
}

export function inOutage(state: FaultState, now: number): boolean {
  return state.outage !== null && now >= state.outage.from && now < state.outage.until;
}

/** Whether this request gets a forced 429; consumes one from a counted rule. */
export function takeForced429(state: FaultState, now: number): RateLimitedFault | null {
  const rule = state.rateLimited;
  if (rule === null) return null;
  if ((rule.until !== null && now >= rule.until) || rule.remaining === 0) {
    state.rateLimited = null;
    return null;
  }
  if (rule.remaining !== null) rule.remaining -= 1;
  return rule;
}

/** The faults as JSON for `GET /sandbox/faults`. */
export function faultsView(state: FaultState): Record<string, unknown> {
  return {
    errorRate: state.errorRate,
    latencyMs: state.latencyMs,
    outage: state.outage,
    revoked: Object.fromEntries(state.revoked),
    rateLimited: state.rateLimited,
    poison: state.poison,
  };
}
