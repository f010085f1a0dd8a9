import { StoreUnavailableError, toError } from '../errors.js';

/**
 * SQLite result codes that mean "the store cannot keep anything right now", with what the operator should do. They
 * become StoreUnavailableError so the server answers 503 + Retry-After and acknowledges nothing. Extended codes
 * (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, SQLITE_BUSY_SNAPSHOT...) match by their primary prefix.
 */
const UNAVAILABLE: readonly { prefix: string; advice: string; retryAfterSeconds: number }[] = [
  {
    prefix: 'SQLITE_FULL',
    advice: 'the disk (or the size limit) of the database is full: free space in the data folder, then retry',
    retryAfterSeconds: 30,
  },
  {
    prefix: 'SQLITE_IOERR',
    advice: 'the disk reported an I/O error on the database: check the disk and the data folder, then retry',
    retryAfterSeconds: 10,
  },
  {
    prefix: 'SQLITE_BUSY',
    advice: 'the database stayed locked past the busy timeout: another process may hold it; retry shortly',
    retryAfterSeconds: 2,
  },
  {
    prefix: 'SQLITE_LOCKED',
    advice: 'the database stayed locked past the busy timeout: retry shortly',
    retryAfterSeconds: 2,
  },
  {
    prefix: 'SQLITE_CANTOPEN',
    advice: 'the database file cannot be opened: check that the data folder exists and this user may write it',
    retryAfterSeconds: 30,
  },
  {
    prefix: 'SQLITE_READONLY',
    advice: 'the database is read-only: give this user write access to the data folder and its files',
    retryAfterSeconds: 30,
  },
];

function sqliteCode(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || !('code' in e)) return null;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Normalise an error thrown by better-sqlite3: unavailability becomes StoreUnavailableError, the rest toError. */
export function fromSqlite(e: unknown, path: string): Error {
  if (e instanceof StoreUnavailableError) return e;
  const code = sqliteCode(e);
  if (code !== null) {
    const rule = UNAVAILABLE.find((r) => code.startsWith(r.prefix));
    if (rule) {
      return new StoreUnavailableError(`SQLite store ${path}: ${rule.advice} (${code})`, {
        cause: e,
        retryAfterSeconds: rule.retryAfterSeconds,
      });
    }
  }
  return toError(e);
}
