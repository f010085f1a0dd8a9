import type { FeedPhase, Slot } from './api/types.js';

/** How numbers, times, feeds and states read on every page. */

const SLOT_LABEL: Record<Slot, string> = { ios: 'iOS', android: 'Android', web: 'Web', unbound: 'Unbound' };

export function slotLabel(slot: Slot): string {
  return SLOT_LABEL[slot];
}

/** A feed's id joins the platforms that share one key: "web+unbound" reads "Web + Unbound". */
export function feedLabel(id: string): string {
  return id
    .split('+')
    .map((s) => SLOT_LABEL[s as Slot] ?? s)
    .join(' + ');
}

export const PHASE_LABEL: Record<FeedPhase, string> = {
  flowing: 'Flowing',
  retrying: 'Retrying',
  credentials_rejected: 'Credentials rejected',
  paused: 'Paused',
};

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** "3 min ago", "in 47 h 59 min": the distance between a time and now, in words. */
export function relative(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  const words = span(Math.abs(ms));
  if (words === null) return 'just now';
  return ms < 0 ? `${words} ago` : `in ${words}`;
}

export function span(ms: number): string | null {
  const s = Math.floor(ms / 1000);
  if (s < 5) return null;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export function destinationLabel(d: Record<string, string>): string {
  if (d.pod !== undefined) return `mParticle ${d.pod}`;
  if (d.base_url !== undefined) return d.base_url;
  return 'unknown';
}
