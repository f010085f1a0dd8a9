import type { exportStatus } from '../server/exports/status.js';

/**
 * `currents exports status` for a person at a terminal: a few lines that say whether the export flows, what waits,
 * what became of its events and the last thing that went wrong. `--json` prints the API's answer instead.
 */

export type ExportStatus = Awaited<ReturnType<typeof exportStatus>>;

const n = (x: number): string => x.toLocaleString('en-US');

/** "3 min", "2 h 5 min", "4 d 1 h": a lag as people read it. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

function feedLine(f: ExportStatus['feeds'][number]): string {
  const parts = [`${f.id} (${f.slots.join(', ')}, key ${f.key}): ${f.state.replace(/_/g, ' ')}`];
  parts.push(`${n(f.backlog_events)} waiting`);
  if (f.oldest_waiting_at !== null) parts.push(`oldest received ${f.oldest_waiting_at}`);
  if (f.held_since !== null) parts.push(`held since ${f.held_since}, dropped from ${f.drop_deadline ?? '?'}`);
  if (f.last_delivery_at !== null) parts.push(`last delivery ${f.last_delivery_at}`);
  return `  ${parts.join('; ')}`;
}

function sourceLine(s: ExportStatus['sources'][number]): string {
  const lag = s.lag_seconds === null ? 'nothing received yet' : `lag ${duration(s.lag_seconds)}`;
  return `  ${s.id} (${s.kind}, ${s.state}): ${n(s.received_events)} received, ${lag}, ${n(s.backlog_events)} waiting for this export`;
}

export function formatExportStatus(s: ExportStatus): string {
  const backlog = s.feeds.reduce((sum, f) => sum + f.backlog_events, 0);
  const t = s.totals;
  const lines = [
    `${s.name} (${s.id}): ${s.state}, ${n(s.events_per_second)} events/s over the last minute`,
    `backlog: ${n(backlog)} events waiting`,
    `events: ${n(t.delivered)} delivered, ${n(t.skipped)} skipped (no external user id), ` +
      `${n(t.dead_lettered)} dead-lettered, ${n(t.dropped)} dropped` +
      (t.historical > 0 ? ` (${n(t.historical)} of the delivered sent as historical)` : ''),
    s.feeds.length === 0 ? 'feeds: none (give a feed a key and secret)' : 'feeds:',
    ...s.feeds.map(feedLine),
    s.all_sources ? 'sources (every source):' : 'sources:',
    ...s.sources.map(sourceLine),
  ];
  if (s.dead_letters > 0) {
    lines.push(`dead letters: ${n(s.dead_letters)} (see them with GET /v1/exports/${s.id}/dead-letters)`);
  }
  for (const d of s.drops) {
    lines.push(`dropped: ${n(d.count)} ${d.type} on ${d.feed} at ${d.dropped_at ?? '?'}: ${d.reason}`);
  }
  const last = s.recent_errors[0];
  lines.push(last ? `last error: ${last.at ?? '?'} (${last.feed}): ${last.message}` : 'last error: none');
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
