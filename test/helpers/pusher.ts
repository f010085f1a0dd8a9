import { Pool } from 'undici';
import { nestedEvent } from './events.js';

/**
 * A client pushing 100-event requests with unique ids over keep-alive connections, as Braze's connector would, and
 * recording what each request was answered: the tests then check that every event answered 2xx is in the log.
 */

export interface Outcome {
  ids: string[];
  /** HTTP status, or null when the request failed without an answer (connection refused or reset). */
  status: number | null;
  error: string | null;
  startedAt: number;
  endedAt: number;
}

export interface PushOptions {
  url: string;
  token: string;
  connections: number;
  perRequest?: number;
  /** Prefix of the event ids; each request's ids are `<prefix>-<request>-<i>`. */
  prefix: string;
  /** Stop after this many requests in total. */
  maxRequests?: number;
}

export interface Pusher {
  outcomes: Outcome[];
  /** Let every worker finish its current request, then stop. */
  stop(): Promise<void>;
  /** Resolves when every worker has stopped (asked to, out of requests, or after a request failed). */
  done: Promise<void>;
  /** Ids of the events whose request was answered 2xx. */
  acknowledged(): string[];
  answered2xx(): number;
}

export function startPushing(options: PushOptions): Pusher {
  const perRequest = options.perRequest ?? 100;
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const template = nestedEvent('users.messages.email.Send', { externalUserId: 'pusher-user' });
  const outcomes: Outcome[] = [];
  let next = 0;
  let stopping = false;

  const worker = async (): Promise<void> => {
    while (!stopping) {
      const n = next++;
      if (options.maxRequests !== undefined && n >= options.maxRequests) return;
      const ids = Array.from({ length: perRequest }, (_, i) => `${options.prefix}-${n}-${i}`);
      const events = ids.map((id, i) => ({
        ...template,
        id,
        user: { ...(template.user as object), external_user_id: `user-${(n * perRequest + i) % 5000}` },
      }));
      const startedAt = Date.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/v1/currents',
          headers: {
            authorization: `Bearer ${options.token}`,
            'braze-currents-version': '1',
            'content-type': 'application/json',
          },
          body: JSON.stringify({ events }),
        });
        await res.body.text();
        outcomes.push({ ids, status: res.statusCode, error: null, startedAt, endedAt: Date.now() });
      } catch (e) {
        const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        outcomes.push({ ids, status: null, error, startedAt, endedAt: Date.now() });
        return;
      }
    }
  };

  const done = Promise.all(Array.from({ length: options.connections }, () => worker())).then(async () => {
    await pool.close();
  });
  return {
    outcomes,
    stop: async () => {
      stopping = true;
      await done;
    },
    done,
    acknowledged: () => outcomes.filter((o) => o.status !== null && o.status < 300).flatMap((o) => o.ids),
    answered2xx: () => outcomes.filter((o) => o.status !== null && o.status < 300).length,
  };
}

/** Resolve once `check` is true, polling every 20 ms; reject after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
