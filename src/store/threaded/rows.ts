import type { ReadResult } from '../port.js';
import type { AppPlatform, LogRow, NewEvent } from '../../types.js';

/**
 * A read's rows, and the events of an append, cross the thread boundary as columns, one array per field, and are made
 * objects again on the other side: the structured clone writes and reads every key of every object, and taking 500
 * objects apart on the main thread cost twice what these arrays and a literal per row do (bench/drain.ts,
 * bench/ingest.ts, BENCHMARKS.md).
 */
export interface ReadColumns {
  columns: EventColumns & { seq: number[] };
  scannedTo: number;
}

export function toColumns(result: ReadResult): ReadColumns {
  const rows = result.rows;
  return { columns: { seq: rows.map((r) => r.seq), ...eventsToColumns(rows) }, scannedTo: result.scannedTo };
}

export function fromColumns({ columns: c, scannedTo }: ReadColumns): ReadResult {
  const rows: LogRow[] = new Array<LogRow>(c.seq.length);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = {
      seq: c.seq[i]!,
      eventId: c.eventId[i]!,
      type: c.type[i]!,
      partition: c.partition[i]!,
      externalUserId: c.externalUserId[i]!,
      platform: c.platform[i]!,
      appId: c.appId[i]!,
      time: c.time[i]!,
      receivedAt: c.receivedAt[i]!,
      payload: c.payload[i]!,
      source: c.source[i]!,
    };
  }
  return { rows, scannedTo };
}

/** An append's events as columns (the main thread serialises them for the store thread). */
export interface EventColumns {
  eventId: string[];
  type: string[];
  partition: number[];
  externalUserId: (string | null)[];
  platform: (AppPlatform | null)[];
  appId: (string | null)[];
  time: number[];
  receivedAt: number[];
  payload: string[];
  source: string[];
}

export function eventsToColumns(events: readonly NewEvent[]): EventColumns {
  return {
    eventId: events.map((e) => e.eventId),
    type: events.map((e) => e.type),
    partition: events.map((e) => e.partition),
    externalUserId: events.map((e) => e.externalUserId),
    platform: events.map((e) => e.platform),
    appId: events.map((e) => e.appId),
    time: events.map((e) => e.time),
    receivedAt: events.map((e) => e.receivedAt),
    payload: events.map((e) => e.payload),
    source: events.map((e) => e.source),
  };
}

/** Like fromColumns without seq: one literal per event, so every event has the same shape from the start. */
export function eventsFromColumns(c: EventColumns): NewEvent[] {
  const events: NewEvent[] = new Array<NewEvent>(c.eventId.length);
  for (let i = 0; i < events.length; i++) {
    events[i] = {
      eventId: c.eventId[i]!,
      type: c.type[i]!,
      partition: c.partition[i]!,
      externalUserId: c.externalUserId[i]!,
      platform: c.platform[i]!,
      appId: c.appId[i]!,
      time: c.time[i]!,
      receivedAt: c.receivedAt[i]!,
      payload: c.payload[i]!,
      source: c.source[i]!,
    };
  }
  return events;
}
