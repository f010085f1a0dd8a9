import type { Clock } from '../../src/delivery/clock.js';
import {
  classifyError,
  classifyResponse,
  type Credentials,
  type MpClient,
  type MpOutcome,
} from '../../src/mparticle/index.js';

/**
 * mParticle as the model sees it: it answers each request by the weather of the moment (drawn from a seeded random
 * source), refuses revoked keys, refuses as invalid (400) a request holding a batch of a poisoned user, and keeps
 * every batch it took. A batch "taken" with an answer that does not say so (5xx after processing, a timeout) is
 * recorded as such: the sender cannot know it arrived.
 */
export interface Receipt {
  key: string;
  id: string;
  eventIds: string[];
  /** The events' names, as mParticle shows them. */
  names: string[];
  /** The answer said so (2xx) and reached a process that was alive. */
  acked: boolean;
  process: number;
  at: number;
}

export interface Weather {
  /** Probabilities of each answer; the rest is 2xx. */
  failBefore: number;
  failAfter: number;
  timeoutAfter: number;
  network: number;
  rateLimited: number;
  retryAfterMs: number;
  /** Requests with more batches than this are answered 413. */
  maxBatches: number;
  latencyMs: [number, number];
}

export const CALM: Weather = {
  failBefore: 0,
  failAfter: 0,
  timeoutAfter: 0,
  network: 0,
  rateLimited: 0,
  retryAfterMs: 0,
  maxBatches: Infinity,
  latencyMs: [1, 40],
};

interface Batch {
  source_request_id: string;
  user_identities: Record<string, string>;
  events: { data: { event_name?: string; custom_attributes: { source_request_id: string } } }[];
}

export class FakeMparticle {
  readonly receipts: Receipt[] = [];
  /** Requests under way now, and the most there were at once. */
  inFlight = 0;
  mostInFlight = 0;
  readonly revoked = new Set<string>();
  readonly poison = new Set<string>();
  weather: Weather = CALM;
  probes: { key: string; at: number; process: number }[] = [];
  requests = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {}

  /** The client one process uses: its timers die with it, so a crashed process never hears an answer. */
  client(process: number, processClock: Clock, alive: () => boolean): MpClient {
    const send = (path: string, body: string, creds: Credentials, signal?: AbortSignal): Promise<MpOutcome> => {
      this.requests += 1;
      const batches = JSON.parse(body) as Batch[];
      if (batches.length === 0) this.probes.push({ key: creds.key, at: this.clock.now(), process });
      const answer = this.#answer(batches, creds);
      const taken = answer.taken
        ? batches.map((b) => {
            const r: Receipt = {
              key: creds.key,
              id: b.source_request_id,
              eventIds: b.events.map((e) => e.data.custom_attributes.source_request_id),
              names: b.events.map((e) => e.data.event_name ?? ''),
              acked: false,
              process,
              at: this.clock.now(),
            };
            this.receipts.push(r);
            return r;
          })
        : [];
      const [lo, hi] = this.weather.latencyMs;
      const latency = Math.round(lo + (hi - lo) * this.random());
      this.inFlight += 1;
      this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
      return new Promise((resolve) => {
        let cancel = (): void => undefined;
        const onAbort = (): void => {
          cancel();
          this.inFlight -= 1;
          resolve(classifyError(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' })));
        };
        cancel = processClock.timer(latency, () => {
          signal?.removeEventListener('abort', onAbort);
          this.inFlight -= 1;
          if (answer.outcome.action === 'done' && alive()) for (const r of taken) r.acked = true;
          resolve(answer.outcome);
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        void path;
      });
    };
    return { send, probe: (creds) => send('/v2/bulkevents', '[]', creds), close: async () => undefined };
  }

  #answer(batches: Batch[], creds: Credentials): { outcome: MpOutcome; taken: boolean } {
    const w = this.weather;
    if (this.revoked.has(creds.key)) return { outcome: classifyResponse(403, {}, ''), taken: false };
    const roll = this.random();
    let p = 0;
    if (roll < (p += w.rateLimited)) {
      const headers = { 'retry-after': String(Math.ceil(w.retryAfterMs / 1000)) };
      return { outcome: classifyResponse(429, headers, ''), taken: false };
    }
    if (roll < (p += w.failBefore)) return { outcome: classifyResponse(503, {}, ''), taken: false };
    if (roll < (p += w.network)) {
      return { outcome: classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), taken: false };
    }
    if (batches.length > w.maxBatches) return { outcome: classifyResponse(413, {}, ''), taken: false };
    // A batch it already took (same key, same source_request_id) it recognises rather than judges again.
    const bad = batches.find(
      (b) =>
        !this.receipts.some((r) => r.key === creds.key && r.id === b.source_request_id) &&
        Object.values(b.user_identities).some((v) => this.poison.has(v)),
    );
    if (bad !== undefined) {
      const error = JSON.stringify({ errors: [{ code: 'invalid', message: 'user is poison' }] });
      return { outcome: classifyResponse(400, {}, error), taken: false };
    }
    if (roll < (p += w.failAfter)) return { outcome: classifyResponse(500, {}, ''), taken: true };
    if (roll < p + w.timeoutAfter) {
      return { outcome: classifyError(Object.assign(new Error('t'), { name: 'TimeoutError' })), taken: true };
    }
    return { outcome: classifyResponse(202, {}, ''), taken: true };
  }
}
