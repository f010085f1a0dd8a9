/**
 * Every outcome of a call to mParticle's Events API, in one place. A response is classified by `classifyResponse`,
 * a thrown error by `classifyError`; nothing else in the product reads a status code.
 *
 * `action` is what the response asks of the sender (the delivery room's policy table decides the delays):
 * - done:  accepted.
 * - wait:  rate limited; wait `retryAfterMs` when given, else back off, and slow the feed.
 * - retry: transient (5xx, network, timeout); back off exponentially with jitter.
 * - split: the request was refused as a whole (400, 413); split it to isolate the bad or big batch.
 * - hold:  the feed cannot send until a person acts (credentials, wrong address); hold its events and probe.
 */
export type MpAction = 'done' | 'wait' | 'retry' | 'split' | 'hold';

interface Base {
  /** HTTP status, or null when no response came. */
  status: number | null;
  action: MpAction;
  /** For a person: what happened and what to do next. Never holds a secret. */
  message: string;
}

export type MpOutcome =
  | (Base & { kind: 'ok'; status: number; action: 'done'; rateLimitPercentUsed: number | null })
  | (Base & { kind: 'rate_limited'; status: 429; action: 'wait'; retryAfterMs: number | null; scope: string | null })
  | (Base & { kind: 'bad_request'; status: 400; action: 'split'; error: string })
  | (Base & { kind: 'too_large'; status: 413; action: 'split' })
  | (Base & { kind: 'auth_missing'; status: 401; action: 'hold' })
  | (Base & { kind: 'auth_rejected'; status: 403; action: 'hold' })
  | (Base & { kind: 'not_found'; status: 404; action: 'hold' })
  | (Base & { kind: 'server_error'; status: number; action: 'retry' })
  | (Base & { kind: 'unexpected'; status: number; action: 'retry' | 'hold'; error: string })
  | (Base & { kind: 'network'; status: null; action: 'retry'; code: string | null })
  | (Base & { kind: 'timeout'; status: null; action: 'retry' });

export type MpOutcomeKind = MpOutcome['kind'];

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** `Retry-After` as ms: delta seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function percentUsed(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : null;
}

const MAX_ERROR_TEXT = 500;

/** mParticle's `{"errors":[{"code","message"}]}` as text, else the body itself (shortened). */
export function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return parsed.errors
        .map((e) => [e.code, e.message].filter((p) => typeof p === 'string' && p !== '').join(': '))
        .filter((t) => t !== '')
        .join('; ');
    }
  } catch {
    // Not JSON: the raw body is the best description there is.
  }
  const text = body.trim();
  if (text === '') return '(empty body)';
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

/** The one classification of an HTTP response from mParticle. */
export function classifyResponse(status: number, headers: Headers, body: string, now: number = Date.now()): MpOutcome {
  if (status >= 200 && status < 300) {
    return {
      kind: 'ok',
      status,
      action: 'done',
      rateLimitPercentUsed: percentUsed(header(headers, 'x-mp-rate-limit-percentage-used')),
      message: 'mParticle accepted the request.',
    };
  }
  switch (status) {
    case 400: {
      const error = errorText(body);
      return {
        kind: 'bad_request',
        status,
        action: 'split',
        error,
        message: `mParticle refused the request as invalid (400: ${error}); split it to find the bad batch and dead-letter only that one.`,
      };
    }
    case 401:
      return {
        kind: 'auth_missing',
        status,
        action: 'hold',
        message:
          'mParticle found no credentials in the request (401): check that the feed has a key and secret; events are held meanwhile.',
      };
    case 403:
      return {
        kind: 'auth_rejected',
        status,
        action: 'hold',
        message:
          "mParticle refused the feed's key or secret (403): update them on the export's page with the feed's current server-to-server credentials; events are held meanwhile.",
      };
    case 404:
      return {
        kind: 'not_found',
        status,
        action: 'hold',
        message:
          "mParticle answered 404: the destination address is wrong; check the export's pod or base URL (it must point at the Events API host, without /v2).",
      };
    case 413:
      return {
        kind: 'too_large',
        status,
        action: 'split',
        message: 'mParticle refused the request as too large (413): split it into smaller requests.',
      };
    case 429: {
      const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'), now);
      const scope = header(headers, 'x-mp-rate-limit-exceeded') ?? null;
      const wait = retryAfterMs === null ? 'back off' : `wait ${Math.ceil(retryAfterMs / 1000)} s`;
      return {
        kind: 'rate_limited',
        status,
        action: 'wait',
        retryAfterMs,
        scope,
        message: `mParticle's rate limit was exceeded (429${scope === null ? '' : `, ${scope}`}): ${wait} and send more slowly; lower the export's rate limit if this repeats.`,
      };
    }
  }
  if (status >= 500) {
    return {
      kind: 'server_error',
      status,
      action: 'retry',
      message: `mParticle answered ${status}, a server error: the request will be retried with backoff; nothing to change on your side.`,
    };
  }
  const error = errorText(body);
  // Another 4xx says something about our requests that retrying will not change.
  const action = status >= 400 ? 'hold' : 'retry';
  return {
    kind: 'unexpected',
    status,
    action,
    error,
    message: `mParticle answered an unexpected ${status} (${error}): check the export's destination address; ${action === 'hold' ? 'events are held meanwhile' : 'the request will be retried'}.`,
  };
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);

/** The error and its causes, outermost first (bounded: a cause chain can loop). */
function chain(e: unknown): { name?: unknown; code?: unknown; message?: unknown }[] {
  const links: { name?: unknown; code?: unknown; message?: unknown }[] = [];
  let current: unknown = e;
  while (current !== null && typeof current === 'object' && links.length < 8) {
    links.push(current as { name?: unknown; code?: unknown; message?: unknown });
    current = (current as { cause?: unknown }).cause;
  }
  return links;
}

/** The one classification of a call that got no response: a timeout, or a network failure. */
export function classifyError(e: unknown): MpOutcome {
  const links = chain(e);
  const timedOut = links.some(
    (l) => l.name === 'TimeoutError' || (typeof l.code === 'string' && TIMEOUT_CODES.has(l.code)),
  );
  if (timedOut) {
    return {
      kind: 'timeout',
      status: null,
      action: 'retry',
      message:
        'mParticle did not answer in time: the request will be retried with backoff; if this lasts, check the network path to the Events API host.',
    };
  }
  const code = links.map((l) => l.code).find((c): c is string => typeof c === 'string') ?? null;
  const detail = links.map((l) => l.message).find((m): m is string => typeof m === 'string' && m !== '') ?? String(e);
  return {
    kind: 'network',
    status: null,
    action: 'retry',
    code,
    message: `could not reach mParticle (${code ?? detail}): the request will be retried with backoff; check the export's destination address and this machine's network if it lasts.`,
  };
}
