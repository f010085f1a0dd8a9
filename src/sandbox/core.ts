import type { ValidateFunction } from 'ajv';
import { batchValidator, describeErrors } from '../mparticle/schema.js';
import { inOutage, isRevoked, noFaults, takeForced429, type FaultState } from './faults.js';
import {
  DEFAULT_DEDUP_LIMIT,
  DEFAULT_RATE_LIMIT,
  DEFAULT_STORE_LIMIT,
  HISTORICAL_MIN_AGE_MS,
  MAX_BATCHES_PER_BULK,
  type SandboxOptions,
} from './options.js';
import { RateLimiter } from './ratelimit.js';
import { BatchStore, DedupIndex } from './store.js';
import { Stats } from './stats.js';

/**
 * The behaviour of mParticle's Events API, without HTTP: the routes hand each request here and write back what it
 * answers. Checks run in the order a client would meet them: latency, outage, credentials, injected 429 and 5xx,
 * body shape, poison, rate limit, then each batch (historical age, schema, dedup).
 *
 * The schema is the live 2026 copy: the sandbox stands in for the API as it is served today (any string as
 * `source_message_id`, `other_id_5..10`), while the product checks its batches against the stricter official one.
 */

export type EventsPath = '/v2/events' | '/v2/bulkevents' | '/v2/bulkevents/historical';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function mpError(status: number, code: string, message: string, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ errors: [{ code, message }] }),
  };
}

/** `Authorization: Basic base64(key:secret)` -> its parts, or null when absent or unreadable. */
export function parseBasicAuth(header: string | undefined): { key: string; secret: string } | null {
  if (header === undefined) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match === null) return null;
  const text = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { key: text.slice(0, colon), secret: text.slice(colon + 1) };
}

interface EventLike {
  data?: { timestamp_unixtime_ms?: unknown };
}

interface BatchLike {
  source_request_id?: unknown;
  user_identities?: unknown;
  events?: unknown;
}

export class SandboxCore {
  readonly feeds = new Map<string, string>();
  readonly faults: FaultState = noFaults();
  readonly store: BatchStore;
  readonly stats = new Stats();
  readonly limiter: RateLimiter;
  readonly now: () => number;
  private readonly dedup: DedupIndex;
  private readonly validate: ValidateFunction;

  constructor(opts: SandboxOptions) {
    for (const feed of opts.feeds ?? []) this.feeds.set(feed.key, feed.secret);
    this.store = new BatchStore(opts.storeLimit ?? DEFAULT_STORE_LIMIT);
    this.dedup = new DedupIndex(opts.dedupLimit ?? DEFAULT_DEDUP_LIMIT);
    this.limiter = new RateLimiter(opts.rateLimit === undefined ? DEFAULT_RATE_LIMIT : opts.rateLimit);
    this.now = opts.now ?? Date.now;
    this.faults.errorRate = opts.errorRate ?? 0;
    this.faults.latencyMs = opts.latencyMs ?? 0;
    this.validate = batchValidator('live');
  }

  /** The feed key a request authenticates as, when the key is known (for per-key request counts). */
  knownKey(authorization: string | undefined): string | null {
    const creds = parseBasicAuth(authorization);
    return creds !== null && this.feeds.has(creds.key) ? creds.key : null;
  }

  /** Everything after the injected latency. */
  handle(path: EventsPath, authorization: string | undefined, body: string | undefined): Answer {
    const now = this.now();
    if (inOutage(this.faults, now)) {
      return mpError(503, 'SERVICE_UNAVAILABLE', 'The sandbox is in an injected outage; retry later.');
    }
    const creds = parseBasicAuth(authorization);
    if (creds === null) {
      return mpError(401, 'UNAUTHORIZED', 'Send HTTP Basic auth with the feed key as user and its secret as password.');
    }
    if (this.feeds.get(creds.key) !== creds.secret || isRevoked(this.faults, creds.key, now)) {
      return mpError(403, 'FORBIDDEN', 'The key or secret is not valid for any feed.');
    }
    const forced = takeForced429(this.faults, now);
    if (forced !== null) {
      const headers: Record<string, string> = { 'x-mp-rate-limit-exceeded': 'api_key' };
      if (forced.retryAfterSeconds !== null) headers['retry-after'] = String(forced.retryAfterSeconds);
      return mpError(429, 'TOO_MANY_REQUESTS', 'Rate limit exceeded (injected).', headers);
    }
    if (this.faults.errorRate > 0 && Math.random() < this.faults.errorRate) {
      return Math.random() < 0.5
        ? mpError(500, 'INTERNAL_SERVER_ERROR', 'Injected server error.')
        : mpError(503, 'SERVICE_UNAVAILABLE', 'Injected unavailability.');
    }

    const parsed = parseBody(path, body);
    if (typeof parsed === 'string') return mpError(400, 'BAD_REQUEST', parsed);
    const poisoned = this.findPoison(parsed);
    if (poisoned !== null) return mpError(400, 'BAD_REQUEST', poisoned);

    const rate = this.limiter.take(creds.key, parsed.length, now);
    if (!rate.ok) {
      return mpError(429, 'TOO_MANY_REQUESTS', 'Rate limit exceeded: send fewer batches per second.', {
        'retry-after': String(rate.retryAfterSeconds),
        'x-mp-rate-limit-exceeded': 'api_key',
      });
    }

    for (const batch of parsed) {
      const error = this.accept(path, creds.key, batch, now);
      // One batch on /v2/events is answered; in bulk a refused batch is only counted, as mParticle does.
      if (error !== null && path === '/v2/events') return mpError(400, 'BAD_REQUEST', error);
    }
    return {
      status: 202,
      headers: { 'x-mp-rate-limit-percentage-used': String(rate.percentUsed) },
      body: '',
    };
  }

  /** Store one batch, or say why it is refused (counted either way). */
  private accept(path: EventsPath, key: string, batch: unknown, now: number): string | null {
    let error: string | null = null;
    if (!this.validate(batch)) error = describeErrors(this.validate);
    else if (path === '/v2/bulkevents/historical') error = tooRecent(batch as BatchLike, now);
    if (error !== null) {
      this.stats.rejected(key, now, error);
      return error;
    }
    const id = (batch as BatchLike).source_request_id;
    if (typeof id === 'string' && this.dedup.check(key, id)) {
      this.stats.duplicate(key);
      return null;
    }
    const events = (batch as BatchLike).events;
    this.stats.accepted(key, Array.isArray(events) ? events.length : 0);
    this.store.add({ key, received_at: now, batch });
    return null;
  }

  private findPoison(batches: readonly unknown[]): string | null {
    if (this.faults.poison.length === 0) return null;
    const poison = new Set(this.faults.poison);
    for (const [index, batch] of batches.entries()) {
      const identities = (batch as BatchLike | null)?.user_identities;
      if (identities === null || typeof identities !== 'object') continue;
      for (const [name, value] of Object.entries(identities)) {
        if (typeof value === 'string' && poison.has(value)) {
          return `batch ${index}: user_identities.${name} "${value}" is refused (sandbox poison rule)`;
        }
      }
    }
    return null;
  }

  clearAll(): void {
    this.store.clear();
    this.dedup.clear();
    this.stats.reset();
    Object.assign(this.faults, noFaults());
  }
}

/** The batches of a request, or the reason the body is refused. */
function parseBody(path: EventsPath, body: string | undefined): unknown[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return 'The body is not JSON.';
  }
  if (path === '/v2/events') {
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? [parsed]
      : 'The body must be one batch (a JSON object).';
  }
  if (!Array.isArray(parsed)) return 'The body must be a JSON array of batches.';
  if (parsed.length > MAX_BATCHES_PER_BULK) {
    return `A bulk request holds at most ${MAX_BATCHES_PER_BULK} batches; this one has ${parsed.length}.`;
  }
  return parsed;
}

/** The historical endpoint refuses a batch holding an event newer than 72 hours. */
function tooRecent(batch: BatchLike, now: number): string | null {
  const events = Array.isArray(batch.events) ? (batch.events as EventLike[]) : [];
  for (const [index, event] of events.entries()) {
    const ts = event?.data?.timestamp_unixtime_ms;
    if (typeof ts !== 'number' || ts > now - HISTORICAL_MIN_AGE_MS) {
      return `events[${index}] is not at least 72 hours old; the historical endpoint takes only older data`;
    }
  }
  return null;
}
