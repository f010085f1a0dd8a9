import { StoreUnavailableError, toError } from '../errors.js';

interface Rule {
  advice: string;
  retryAfterSeconds: number;
}

const SERVER_GONE: Rule = {
  advice: 'the connection to the server was lost (restart, failover or a terminated backend); retry shortly',
  retryAfterSeconds: 5,
};
const UNREACHABLE: Rule = {
  advice: 'the server cannot be reached: check that it runs and that DATABASE_URL names the right host and port',
  retryAfterSeconds: 10,
};
const BUSY: Rule = { advice: 'the server was too busy to finish in time; retry shortly', retryAfterSeconds: 2 };

/**
 * SQLSTATE codes (exact, then by two-character class) that mean "the database cannot keep anything right now". They
 * become StoreUnavailableError so the server answers 503 + Retry-After and acknowledges nothing; anything else is a
 * bug or bad input and stays an ordinary error.
 */
const BY_CODE: Readonly<Record<string, Rule>> = {
  '57P01': SERVER_GONE, // admin_shutdown: pg_terminate_backend, or a fast shutdown
  '57P02': SERVER_GONE, // crash_shutdown
  '57P03': { advice: 'the server is starting up or in recovery; retry shortly', retryAfterSeconds: 5 },
  '53300': {
    advice: 'the server has no free connection slot: raise max_connections or lower the pool size of each process',
    retryAfterSeconds: 5,
  },
  '53100': { advice: "the database server's disk is full: free space on it, then retry", retryAfterSeconds: 30 },
  '53200': { advice: 'the database server is out of memory; retry shortly', retryAfterSeconds: 10 },
  '53400': { advice: 'the database server hit a configured limit; retry shortly', retryAfterSeconds: 10 },
  '25006': {
    advice:
      'the database is read-only (a standby, or default_transaction_read_only): point DATABASE_URL at the primary',
    retryAfterSeconds: 30,
  },
  '58030': { advice: 'the database server reported an I/O error: check its disk, then retry', retryAfterSeconds: 10 },
  '55P03': BUSY, // lock_not_available
  '57014': BUSY, // query_canceled (statement or lock timeout)
  '40001': BUSY, // serialization_failure
  '40P01': BUSY, // deadlock_detected
};
const BY_CLASS: Readonly<Record<string, Rule>> = {
  '08': SERVER_GONE, // connection_exception
  '53': { advice: 'the database server is short of resources; retry shortly', retryAfterSeconds: 10 },
};

/** Socket errors from Node, reported before or instead of any SQLSTATE. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** node-postgres reports a dead or closed connection in messages only. */
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|Client has already been connected/i;

function codeOf(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || !('code' in e)) return null;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : null;
}

function ruleFor(e: unknown): Rule | null {
  const code = codeOf(e);
  if (code !== null) {
    if (NETWORK_CODES.has(code)) return UNREACHABLE;
    const rule = BY_CODE[code] ?? (code.length === 5 ? BY_CLASS[code.slice(0, 2)] : undefined);
    if (rule) return rule;
  }
  // Several addresses tried (IPv4 and IPv6): Node wraps their failures.
  if (e instanceof AggregateError && e.errors.some((inner) => ruleFor(inner) !== null)) return UNREACHABLE;
  if (e instanceof Error && CONNECTION_MESSAGES.test(e.message)) return SERVER_GONE;
  return null;
}

/**
 * Normalise an error thrown by node-postgres: unavailability becomes StoreUnavailableError (cause kept), the rest
 * toError. `where` names the server without credentials (host:port/database).
 */
export function fromPg(e: unknown, where: string): Error {
  if (e instanceof StoreUnavailableError) return e;
  const rule = ruleFor(e);
  if (rule === null) return toError(e);
  const code = codeOf(e);
  return new StoreUnavailableError(`PostgreSQL store ${where}: ${rule.advice}${code ? ` (${code})` : ''}`, {
    cause: e,
    retryAfterSeconds: rule.retryAfterSeconds,
  });
}

/** True when the error means the connection itself is unusable (the client must not go back to the pool). */
export function isConnectionLoss(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== null && (NETWORK_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
  return e instanceof Error && CONNECTION_MESSAGES.test(e.message);
}
