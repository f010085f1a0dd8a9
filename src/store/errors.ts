/**
 * Errors at the storage boundary. The server maps `StoreUnavailableError` to 503 with Retry-After: the store cannot
 * keep what it is given right now (disk full, database unreachable, locked too long), so nothing is acknowledged.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /** Seconds a client should wait before trying again. */
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
  }
}

/** The data folder or database was made with settings this process cannot honour (e.g. another partition count). */
export class StoreConfigError extends Error {
  override readonly name = 'StoreConfigError';
}

/** A record could not be created as asked: its id is taken (by a live record, or one deleted whose id stays reserved). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** A sender's commit was refused because its lease is gone: another process now sends that partition. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * A sender's write was refused because its cursor was rewritten since the sender read it (another process regrouped
 * the export's feeds, or removed the feed): nothing was written; the sender reads the store again.
 */
export class StaleCursorError extends Error {
  override readonly name = 'StaleCursorError';
}

/** Normalise anything thrown into an Error, keeping the original as the cause. */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e), { cause: e });
}
