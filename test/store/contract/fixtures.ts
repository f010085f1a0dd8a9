import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type { ReadQuery, Store } from '../../../src/store/port.js';
import type { ExportRecord, LogRow, NewEvent } from '../../../src/types.js';

export type StoreFactory = () => Promise<{
  store: Store;
  cleanup: () => Promise<void>;
  /**
   * Open the same data again, as another process would (`currents sources create` beside the service, a second
   * service on PostgreSQL). The contract closes what it opens before `cleanup`.
   */
  another?: () => Promise<Store>;
}>;

/** A fresh store per test, from the adapter's factory; `ctx.store` is valid inside a test. */
export interface StoreContext {
  readonly store: Store;
  /** A second store on the same data, or null when the adapter's test file gives none. */
  another(): Promise<Store | null>;
}

export function useFreshStore(factory: StoreFactory): StoreContext {
  let current: Awaited<ReturnType<StoreFactory>> | null = null;
  const others: Store[] = [];
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    const c = current;
    current = null;
    for (const o of others.splice(0)) await o.close();
    if (c) await c.cleanup();
  });
  return {
    get store(): Store {
      if (current === null) throw new Error('the store is only available inside a test');
      return current.store;
    },
    async another(): Promise<Store | null> {
      if (current === null) throw new Error('the store is only available inside a test');
      if (current.another === undefined) return null;
      const store = await current.another();
      others.push(store);
      return store;
    },
  };
}

let n = 0;

/** An event as ingest would append it; the payload is the flat Currents event, with text that must survive intact. */
export function newEvent(over: Partial<NewEvent> = {}): NewEvent {
  n += 1;
  const eventId = over.eventId ?? `${randomUUID()}-${n}`;
  const type = over.type ?? 'users.messages.email.Send';
  const time = over.time ?? 1_760_000_000 + n;
  const externalUserId = over.externalUserId === undefined ? `user-${n}` : over.externalUserId;
  const payload =
    over.payload ??
    JSON.stringify({
      event_type: type,
      id: eventId,
      time,
      external_user_id: externalUserId,
      email_address: `someone+${n}@example.com`,
      campaign_name: 'Spring sale — “quotes”, emoji 🎉, NUL-free \\ backslash',
      filler: randomBytes(64).toString('hex'),
    });
  return {
    eventId,
    type,
    partition: 0,
    externalUserId,
    platform: null,
    appId: null,
    time,
    receivedAt: 1_000_000 + n,
    payload,
    source: 'default',
    ...over,
  };
}

export function events(count: number, over: (i: number) => Partial<NewEvent> = () => ({})): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(over(i)));
}

export function exportRecord(over: Partial<ExportRecord> = {}): ExportRecord {
  n += 1;
  return {
    id: `exp-${n}`,
    name: `Export ${n}`,
    contactEmail: 'ops@example.com',
    destination: { pod: 'US1' },
    environment: 'development',
    feeds: {
      ios: { key: 'us1-ios-key', secretEnc: 'enc:v1:abc' },
      web: { key: 'us1-web-key', secretEnc: 'enc:v1:def' },
    },
    events: ['users.messages.email.Send', 'users.messages.pushnotification.Open'],
    identity: 'customer_id',
    eventNames: { 'users.messages.email.Send': 'Email Sent' },
    mergeBatches: false,
    holdWindowHours: 72,
    rateLimit: 270,
    state: 'active',
    startSeq: 0,
    createdAt: 1_700_000_000_000 + n,
    updatedAt: 1_700_000_000_000 + n,
    ...over,
  };
}

/** Page through a partition the way a sender does: from afterSeq, moving to scannedTo, until nothing is left. */
export async function readAll(
  store: Store,
  query: Omit<ReadQuery, 'afterSeq' | 'limit'> & { afterSeq?: number; limit?: number },
): Promise<{ rows: LogRow[]; reads: number; end: number }> {
  const rows: LogRow[] = [];
  let after = query.afterSeq ?? 0;
  let reads = 0;
  for (;;) {
    const r = await store.read({ ...query, afterSeq: after, limit: query.limit ?? 1000 });
    reads += 1;
    rows.push(...r.rows);
    if (r.scannedTo <= after) return { rows, reads, end: after };
    after = r.scannedTo;
    if (reads > 10_000) throw new Error('read never reached the end of the partition');
  }
}

export const byteLength = (evs: readonly NewEvent[]): number =>
  evs.reduce((sum, e) => sum + Buffer.byteLength(e.payload), 0);
