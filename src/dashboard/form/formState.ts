import type { CatalogType, Destination, ExportView, Pod, Slot, Transformation } from '../api/types.js';
import { SLOTS } from '../api/types.js';
import { slotLabel } from '../format.js';

/** The create/edit form as plain data, and its translation to the API's request bodies and back. */

export interface FeedInput {
  key: string;
  secret: string;
  /** The export already has this feed (edit). Its secret is set but never shown. */
  existing: boolean;
  originalKey: string;
  /** Edit: the user chose to type a new secret. */
  replaceSecret: boolean;
  remove: boolean;
}

/** Where a new export starts reading the log: the API's `from` ("now", "earliest" or a time). */
export type StartKind = 'now' | 'earliest' | 'time';

export interface FormState {
  name: string;
  contactEmail: string;
  destinationKind: 'pod' | 'base_url';
  pod: Pod;
  baseUrl: string;
  environment: 'production' | 'development';
  feeds: Record<Slot, FeedInput>;
  identity: string;
  holdWindowHours: string;
  events: ReadonlySet<string>;
  /** The sources the export takes; null: every source, also those added later. */
  sources: ReadonlySet<string> | null;
  /** Creation only: where the export starts, and the time (datetime-local, the browser's zone) for 'time'. */
  startKind: StartKind;
  startTime: string;
  /** Field transformations, one row each (a row's field may still be empty while it is typed). */
  transformations: readonly Transformation[];
}

function emptyFeed(): FeedInput {
  return { key: '', secret: '', existing: false, originalKey: '', replaceSecret: false, remove: false };
}

export function emptyForm(catalog: readonly CatalogType[]): FormState {
  return {
    name: '',
    contactEmail: '',
    destinationKind: 'pod',
    pod: 'US1',
    baseUrl: '',
    environment: 'production',
    feeds: { ios: emptyFeed(), android: emptyFeed(), web: emptyFeed(), unbound: emptyFeed() },
    identity: 'customer_id',
    holdWindowHours: '48',
    events: new Set(catalog.filter((t) => t.default_selected).map((t) => t.type)),
    sources: null,
    startKind: 'now',
    startTime: '',
    transformations: [],
  };
}

export function formFromExport(x: ExportView): FormState {
  const feeds = {} as Record<Slot, FeedInput>;
  for (const slot of SLOTS) {
    const f = x.feeds[slot];
    feeds[slot] = f
      ? { key: f.key, secret: '', existing: true, originalKey: f.key, replaceSecret: !f.secret_set, remove: false }
      : emptyFeed();
  }
  const pod = x.destination.pod;
  return {
    name: x.name,
    contactEmail: x.contact_email,
    destinationKind: pod !== undefined ? 'pod' : 'base_url',
    pod: (pod as Pod | undefined) ?? 'US1',
    baseUrl: x.destination.base_url ?? '',
    environment: x.environment,
    feeds,
    identity: x.identity,
    holdWindowHours: String(x.hold_window_hours),
    events: new Set(x.events),
    sources: x.sources === null ? null : new Set(x.sources),
    startKind: 'now',
    startTime: '',
    transformations: (x.transformations ?? []).map((t) => ({ ...t })),
  };
}

export function destinationOf(s: FormState): Destination {
  return s.destinationKind === 'pod' ? { pod: s.pod } : { base_url: s.baseUrl.trim().replace(/\/+$/, '') };
}

function holdHours(s: FormState): number | string {
  const n = Number(s.holdWindowHours);
  return s.holdWindowHours.trim() !== '' && Number.isFinite(n) ? n : s.holdWindowHours;
}

/** Feeds with anything typed in: the API says which of them lack a key or a secret. */
export function newFeeds(s: FormState): Partial<Record<Slot, { key: string; secret: string }>> {
  const feeds: Partial<Record<Slot, { key: string; secret: string }>> = {};
  for (const slot of SLOTS) {
    const f = s.feeds[slot];
    if (f.key.trim() !== '' || f.secret !== '') feeds[slot] = { key: f.key.trim(), secret: f.secret };
  }
  return feeds;
}

export function createBody(s: FormState): Record<string, unknown> {
  return {
    name: s.name,
    contact_email: s.contactEmail.trim(),
    destination: destinationOf(s),
    environment: s.environment,
    feeds: newFeeds(s),
    identity: s.identity,
    hold_window_hours: holdHours(s),
    events: [...s.events],
    ...(s.sources !== null ? { sources: [...s.sources] } : {}),
    from: startOf(s),
    transformations: transformationsOf(s),
  };
}

/** The API's `from`: a time typed in the browser's zone goes as ISO with its zone (as typed when it is not one). */
export function startOf(s: FormState): string {
  if (s.startKind !== 'time') return s.startKind;
  const ms = new Date(s.startTime).getTime();
  return s.startTime.trim() === '' || Number.isNaN(ms) ? s.startTime : new Date(ms).toISOString();
}

export function patchBody(s: FormState): Record<string, unknown> {
  const feeds: Partial<Record<Slot, { key?: string; secret?: string } | null>> = {};
  for (const slot of SLOTS) {
    const f = s.feeds[slot];
    if (f.existing) {
      if (f.remove) {
        feeds[slot] = null;
        continue;
      }
      const change: { key?: string; secret?: string } = {};
      if (f.key.trim() !== f.originalKey) change.key = f.key.trim();
      if (f.replaceSecret && f.secret !== '') change.secret = f.secret;
      if (Object.keys(change).length > 0) feeds[slot] = change;
    } else if (f.key.trim() !== '' || f.secret !== '') {
      feeds[slot] = { key: f.key.trim(), secret: f.secret };
    }
  }
  return {
    name: s.name,
    contact_email: s.contactEmail.trim(),
    destination: destinationOf(s),
    environment: s.environment,
    ...(Object.keys(feeds).length > 0 ? { feeds } : {}),
    identity: s.identity,
    hold_window_hours: holdHours(s),
    events: [...s.events],
    sources: s.sources === null ? null : [...s.sources],
    transformations: transformationsOf(s),
  };
}

/** The rows as the API takes them: the field trimmed; a row left empty is no transformation. */
export function transformationsOf(s: FormState): Transformation[] {
  return s.transformations.map((t) => ({ field: t.field.trim(), action: t.action })).filter((t) => t.field !== '');
}

/**
 * Every check that needs no round trip, all at once (each field that needs fixing is marked together, not a few at
 * a time); the API checks everything again and its messages win.
 */
export function localErrors(s: FormState): Record<string, string> {
  const errors: Record<string, string> = {};
  if (s.name.trim() === '') errors['f-name'] = 'Give the export a name.';
  else if (s.name.trim().length > 200) errors['f-name'] = 'Shorten the name to at most 200 characters.';
  const email = s.contactEmail.trim();
  if (email === '') {
    errors['f-contact-email'] = 'Give a contact email: it is told when mParticle refuses a feed’s credentials.';
  } else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    errors['f-contact-email'] = 'Give a full email address such as data-team@example.com.';
  }
  if (s.destinationKind === 'base_url' && !/^https?:\/\/[^/\s]+/.test(s.baseUrl.trim())) {
    errors['f-base-url'] = 'Give a full base URL such as http://127.0.0.1:7701 (without /v2).';
  }
  Object.assign(errors, feedErrors(s));
  const hours = Number(s.holdWindowHours);
  if (s.holdWindowHours.trim() === '' || !Number.isFinite(hours) || hours <= 0 || hours > 720) {
    errors['f-hold'] = 'Give the hold window in hours, more than 0 and at most 720 (48 is the default).';
  }
  if (s.sources !== null && s.sources.size === 0) {
    errors['f-sources'] = 'Tick at least one source, or take every source.';
  }
  if (s.startKind === 'time' && (s.startTime.trim() === '' || Number.isNaN(new Date(s.startTime).getTime()))) {
    errors['f-from'] = 'Give the date and time to start from, or start now or from the earliest event.';
  }
  if (s.events.size === 0) errors['f-events'] = 'Select at least one event type to export.';
  return errors;
}

/** A feed needs its key and its secret together; an export needs at least one feed it keeps. */
function feedErrors(s: FormState): Record<string, string> {
  const errors: Record<string, string> = {};
  let kept = 0;
  for (const slot of SLOTS) {
    const f = s.feeds[slot];
    if (f.remove) continue;
    const key = f.key.trim();
    const label = slotLabel(slot);
    if (f.existing) {
      kept += 1;
      if (key === '') errors[`f-${slot}-key`] = `Give the ${label} feed’s key, or remove the feed.`;
      continue;
    }
    if (key === '' && f.secret === '') continue;
    kept += 1;
    if (key === '') errors[`f-${slot}-key`] = `Give the ${label} feed’s server-to-server key, or clear its secret.`;
    if (f.secret === '') errors[`f-${slot}-secret`] = `Give the ${label} feed’s server-to-server secret.`;
  }
  if (kept === 0) errors['f-feeds'] = 'Give the key and secret of at least one feed (Unbound takes every event).';
  return errors;
}

/** The form control an API field path ("feeds.ios.secret", "events.3") belongs to. */
export function fieldIdOf(path: string, s: FormState): string | null {
  const [head, sub, leaf] = path.split('.');
  switch (head) {
    case 'name':
      return 'f-name';
    case 'contact_email':
      return 'f-contact-email';
    case 'destination':
      return s.destinationKind === 'pod' ? 'f-pod' : 'f-base-url';
    case 'environment':
      return 'f-environment';
    case 'identity':
      return 'f-identity';
    case 'hold_window_hours':
      return 'f-hold';
    case 'events':
    case 'event_names':
      return 'f-events';
    case 'sources':
      return 'f-sources';
    case 'from':
      return 'f-from';
    case 'transformations':
      return sub !== undefined && /^\d+$/.test(sub) ? `f-tf-${rowOf(s, Number(sub))}` : 'f-tf-list';
    case 'feeds':
      if (sub !== undefined && (SLOTS as readonly string[]).includes(sub)) {
        return `f-${sub}-${leaf === 'secret' ? 'secret' : 'key'}`;
      }
      return 'f-feeds';
    default:
      return null;
  }
}

/** The form row of the API's n-th transformation (empty rows are not sent, so the indexes differ). */
function rowOf(s: FormState, n: number): number {
  let seen = -1;
  for (const [i, t] of s.transformations.entries()) {
    if (t.field.trim() !== '' && ++seen === n) return i;
  }
  return n;
}

/** Zod's union message says nothing useful about a destination; say what to give instead. */
export function readableFieldError(path: string, message: string, s: FormState): string {
  if (path.startsWith('destination') && /invalid input/i.test(message)) {
    return s.destinationKind === 'pod'
      ? 'Choose an mParticle pod: US1, US2, EU1 or AU1.'
      : 'Give a full base URL such as http://127.0.0.1:7701 (without /v2).';
  }
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/**
 * What "Test credentials" sends. Before creation: the typed destination and feeds. On an export: the stored
 * credentials are tested by the service (secrets never come back to the page), with any key and secret typed here
 * in their place. A changed key without its secret cannot be tested; `keyOnly` names those feeds.
 */
export function credentialTest(
  id: string | null,
  s: FormState,
): { path: string; body: Record<string, unknown>; keyOnly: Slot[] } {
  if (id === null) {
    return { path: '/v1/test-credentials', body: { destination: destinationOf(s), feeds: newFeeds(s) }, keyOnly: [] };
  }
  const replacements: Partial<Record<Slot, { key: string; secret: string }>> = {};
  const keyOnly: Slot[] = [];
  for (const slot of SLOTS) {
    const f = s.feeds[slot];
    if (f.remove) continue;
    if (f.secret !== '' && f.key.trim() !== '') replacements[slot] = { key: f.key.trim(), secret: f.secret };
    else if (f.existing && f.key.trim() !== f.originalKey) keyOnly.push(slot);
  }
  return {
    path: `/v1/exports/${encodeURIComponent(id)}/test-credentials`,
    body: { feeds: replacements },
    keyOnly,
  };
}

export const IDENTITIES: readonly (readonly [string, string])[] = [
  ['customer_id', 'Customer ID'],
  ['email', 'Email'],
  ['other', 'Other'],
  ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [`other_id_${n}`, `Other ID ${n}`] as const),
];
