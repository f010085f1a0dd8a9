import type { ObjectCheckpoint, SourceCursor, SourceRecord, SourceStatus } from '../../types.js';
import type { ImportSink } from '../importer.js';
import type { BucketProblem } from './bucket.js';

/**
 * What the pollers need from the rest of the service. The ingest room never imports the store: these are the store
 * port's own methods (the service hands the store itself), a sink per source for the events, and the leases.
 */
export interface PollerStore {
  listSources(): Promise<SourceRecord[]>;
  getSourceStatus(id: string): Promise<SourceStatus | null>;
  putSourceStatus(id: string, status: SourceStatus): Promise<void>;
  getObjectCheckpoints(id: string, objects: readonly string[]): Promise<ObjectCheckpoint[]>;
  putObjectCheckpoints(id: string, checkpoints: readonly ObjectCheckpoint[]): Promise<void>;
  pruneObjectCheckpoints(id: string, beforeHour: number): Promise<number>;
  getSourceCursor(id: string): Promise<SourceCursor | null>;
  putSourceCursor(id: string, cursor: SourceCursor): Promise<void>;
}

/** Several processes on one store: one of them at a time polls a source. */
export interface PollLeases {
  /**
   * Renew this process's leases and say which of these sources it polls now; `release`: sources it polled and should
   * give up (their pollers are stopped first, then `release` gives the leases back).
   */
  sync(sourceIds: readonly string[]): Promise<{ mine: Set<string>; release: string[] }>;
  /** Whether this process still holds the source's lease with time to spare (checked before each object). */
  holds(sourceId: string): boolean;
  release(sourceIds: readonly string[]): Promise<void>;
  releaseAll(): Promise<void>;
}

/** Figures per source, for the metrics. */
export interface PollObserver {
  /** An object was read (whole, or as far as it could be: `failed`) and its events committed. */
  objectRead(
    source: string,
    o: { bytes: number; stored: number; duplicates: number; quarantined: number; failed: boolean },
  ): void;
  /** A poll or an object failed; `corrupt`: an object that cannot be read whole. */
  failed(source: string, problem: BucketProblem | 'corrupt'): void;
}

export interface PollLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The events of one source go to the log through this (the service's appends, quarantine and metrics). */
export type SinkFor = (sourceId: string) => ImportSink;
