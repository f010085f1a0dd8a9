import { ConflictError, LeaseLostError, StaleCursorError, StoreConfigError, StoreUnavailableError } from '../errors.js';

/** Messages between a store running in a worker thread and its callers. */

export interface Call {
  id: number;
  method: string;
  args: unknown[];
}

export interface WireError {
  name: string;
  message: string;
  retryAfterSeconds?: number;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

export function toWire(e: unknown): WireError {
  if (e instanceof StoreUnavailableError) {
    return { name: e.name, message: e.message, retryAfterSeconds: e.retryAfterSeconds };
  }
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** The error classes callers branch on (503 for an unavailable store) survive the thread boundary. */
export function fromWire(w: WireError): Error {
  if (w.name === 'StoreUnavailableError') {
    return new StoreUnavailableError(
      w.message,
      w.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: w.retryAfterSeconds },
    );
  }
  if (w.name === 'StoreConfigError') return new StoreConfigError(w.message);
  if (w.name === 'ConflictError') return new ConflictError(w.message);
  if (w.name === 'LeaseLostError') return new LeaseLostError(w.message);
  if (w.name === 'StaleCursorError') return new StaleCursorError(w.message);
  const error = new Error(w.message);
  error.name = w.name;
  return error;
}
