/** The replay answers of the API (GET /v1/exports/:id/replay-preview, .../replays), typed from the service's schemas. */
export type { ReplayPreview, ReplayState, ReplayView } from '../../server/schemas/replays.js';

/** A datetime-local value (the browser's time zone) as an ISO time with its zone, or null when empty or invalid. */
export function localToIso(value: string): string | null {
  if (value.trim() === '') return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** A time as a datetime-local value in the browser's time zone, to the minute. */
export function isoToLocal(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
