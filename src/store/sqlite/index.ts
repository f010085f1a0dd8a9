import { constants as fs, accessSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { NewEvent } from '../../types.js';
import { StoreUnavailableError, toError } from '../errors.js';
import type { AppendResult, Store, StoreCapabilities } from '../port.js';
import { makeAppender } from './append.js';
import { makeDeliveryState } from './delivery-state.js';
import { fromSqlite } from './errors.js';
import { makeExports } from './exports.js';
import { fingerprint } from './fingerprints.js';
import { GroupCommit } from './group-commit.js';
import { makeHistory } from './history.js';
import { makeLeases } from './leases.js';
import { migrate } from './migrate.js';
import { makeQuarantine } from './quarantine.js';
import { makeReader } from './read.js';
import { makeRetention } from './retention.js';
import { makeSourceObjects } from './source-objects.js';
import { makeSourceKeys, makeSources } from './sources.js';
import { makeTeam } from './team.js';

export interface SqliteStoreOptions {
  /** The database file; its folder is created when missing. */
  path: string;
  /**
   * `full` (default): every commit is fsynced to the WAL before `append` resolves, so an acknowledged event survives
   * a power loss or kernel crash. `normal`: the WAL is fsynced only at checkpoints; a crash of this process loses
   * nothing committed, but a power loss or OS crash may lose the last commits (the database stays consistent).
   * `normal` is faster on disks with slow fsync; choose it only where losing a few acknowledged seconds is acceptable.
   */
  synchronous?: 'full' | 'normal';
  /** How long an append waits for others to join its transaction; 0 (default) means the next macrotask. */
  groupCommitMs?: number;
  /** SQLite's page cache, MiB (default 16; see `configure`). */
  cacheSizeMb?: number;
  logger?: { warn(obj: object, msg: string): void };
  /**
   * Cap on the database file's size. Past it, appends fail with StoreUnavailableError (as on a full disk) instead of
   * filling a disk other services share. It cannot shrink below the current size. Default: no cap.
   */
  maxSizeBytes?: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({ multiProcess: false, partitionedRetention: false });
/** How long a statement waits for another connection's lock before SQLITE_BUSY (then StoreUnavailableError). */
const BUSY_TIMEOUT_MS = 5000;
/** A group commit slower than this is worth a warning: callers (HTTP pushes) are waiting on it. */
const SLOW_COMMIT_MS = 1000;
/** See `configure`. */
export const DEFAULT_CACHE_MB = 16;

/**
 * Settings chosen with bench/store-append.ts. The page size only applies to a new database: 16 KiB pages hold ~15
 * events of 1 KiB and cut per-page overhead in the WAL. The WAL checkpoints every ~32 MiB rather than 4 MiB: fewer,
 * longer sequential checkpoints; journal_size_limit then trims the file. No mmap: an I/O error on a mapped page kills
 * the process (SIGBUS) where a read() error becomes SQLITE_IOERR and a 503, and every mapped page read would count in
 * the process's resident memory (a drain reads the whole backlog).
 *
 * The page cache (`cacheSizeMb`, default 16 MiB; it was 64) is filled in full by any long ingest or drain and was a
 * sixth of the service's memory. Appends touch the last pages of the log and its indexes; the lanes of a drain read
 * near each other in the log, so the pages one lane reads are still cached when the next reads them; the OS's file
 * cache serves the rest. At 16 MiB neither ingest nor drain spent measurably more CPU (BENCHMARKS.md, issue 11).
 */
export function configure(db: Database.Database, options: SqliteStoreOptions): void {
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma(`cache_size = -${Math.round((options.cacheSizeMb ?? DEFAULT_CACHE_MB) * 1024)}`);
  db.pragma('wal_autocheckpoint = 2048');
  db.pragma('journal_size_limit = 67108864');
  db.pragma('temp_store = MEMORY');
  if (options.maxSizeBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxSizeBytes / pageSize))}`);
  }
}

/** Open (creating and migrating when needed) the SQLite store at `options.path`. */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { path } = options;
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw fromSqlite(e, path);
  }
  try {
    configure(db, options);
    // Migration 002 fingerprints rows written before it with the same function the appender uses.
    db.function('currents_fingerprint', { deterministic: true }, (id) => fingerprint(String(id)));
    migrate(db);
    return storeOn(db, options);
  } catch (e) {
    db.close();
    throw fromSqlite(e, path);
  }
}

/** The store over an open, migrated connection. */
function storeOn(db: Database.Database, options: SqliteStoreOptions): Store {
  const { path, logger } = options;
  let closed = false;

  const sourceKeys = makeSourceKeys(db);
  const appender = makeAppender(db, sourceKeys);
  const reader = makeReader(db, sourceKeys);
  const sources = makeSources(db, sourceKeys);
  const sourceObjects = makeSourceObjects(db);
  const retention = makeRetention(
    db,
    (removed) => appender.forget(removed),
    () => closed,
  );
  const quarantine = makeQuarantine(db);
  const exportsTable = makeExports(db);
  const delivery = makeDeliveryState(db);
  const history = makeHistory(db, delivery.addCounters, delivery.addDeliveredPoint);
  const leases = makeLeases(db);
  const team = makeTeam(db);

  const commits = new GroupCommit<readonly NewEvent[], AppendResult>(
    (calls) => {
      const started = performance.now();
      try {
        return appender.append(calls);
      } catch (e) {
        throw fromSqlite(e, path);
      } finally {
        const ms = performance.now() - started;
        if (ms > SLOW_COMMIT_MS) logger?.warn({ ms: Math.round(ms), callers: calls.length }, 'slow group commit');
      }
    },
    { delayMs: options.groupCommitMs ?? 0, logger },
  );

  const ensureOpen = (): void => {
    if (closed) throw new Error(`the SQLite store ${path} is closed: open it again before using it`);
  };
  /** Every port method: refuse after close, run synchronously, map SQLite failures to store errors. */
  const op =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> => {
      ensureOpen();
      try {
        return await fn(...args);
      } catch (e) {
        throw fromSqlite(e, path);
      }
    };

  return {
    capabilities: CAPABILITIES,

    append: async (events) => {
      ensureOpen();
      if (events.length === 0) return { stored: 0, duplicateIndexes: [], lastSeq: null };
      // Before joining a group commit: a call naming an unknown source fails alone, not the others of its group.
      try {
        let last: string | null = null;
        for (const e of events) {
          if (e.source !== last) sourceKeys.keyOf(e.source);
          last = e.source;
        }
      } catch (e) {
        throw fromSqlite(e, path);
      }
      return commits.submit(events);
    },
    read: op(reader.read),
    headSeq: op(reader.headSeq),
    seqBefore: op(reader.seqBefore),
    stats: op(reader.stats),
    countBacklog: op(reader.countBacklog),
    countBacklogBySource: op(reader.countBacklogBySource),
    findEvent: op((eventId: string) => appender.find(eventId)),
    applyRetention: op(retention),

    ...mapOps(quarantine, op),
    ...mapOps(exportsTable, op),
    ...mapOps(sources, op),
    ...mapOps(sourceObjects, op),
    ...mapOps(history, op),
    ...mapOps(leases, op),
    ...mapOps(team, op),
    getCursors: op(delivery.getCursors),
    putCursors: op(delivery.putCursors),
    replaceCursors: op(delivery.replaceCursors),
    deleteCursors: op(delivery.deleteCursors),
    setInflight: op(delivery.setInflight),
    commitProgress: op(delivery.commitProgress),
    getFeedStates: op(delivery.getFeedStates),
    putFeedState: op(delivery.putFeedState),
    getFeedState: op(delivery.getFeedState),
    swapFeedState: op(delivery.swapFeedState),
    getCounters: op(delivery.getCounters),
    deliverySeries: op(delivery.deliverySeries),

    ping: op(() => {
      db.prepare('SELECT 1').get();
      if (db.readonly) throw new StoreUnavailableError(`the SQLite store ${path} was opened read-only`);
      if (db.memory) return;
      try {
        // The WAL and shared-memory files are created beside the database, so the folder must be writable too.
        accessSync(path, fs.W_OK);
        accessSync(dirname(path), fs.W_OK);
      } catch (e) {
        throw new StoreUnavailableError(
          `the SQLite store ${path} cannot be written: check that the file and its folder exist and this user may write them`,
          { cause: e },
        );
      }
    }),

    // SQLite's page cache (CURRENTS_SQLITE_CACHE_MB) fills again from the file as reads need it.
    releaseMemory: op(() => {
      db.pragma('shrink_memory');
    }),

    close: async () => {
      if (closed) return;
      commits.flush();
      closed = true;
      try {
        // Keeps the planner's statistics current for the next start; cheap when little changed. Best effort: on a
        // full disk it fails, and closing matters more.
        db.pragma('optimize');
      } catch (e) {
        logger?.warn({ err: toError(e).message }, 'could not refresh SQLite statistics before closing');
      }
      try {
        db.close();
      } catch (e) {
        throw fromSqlite(e, path);
      }
    },
  };
}

type Sync = Record<string, (...args: never[]) => unknown>;
type Async<T extends Sync> = { [K in keyof T]: (...args: Parameters<T[K]>) => Promise<Awaited<ReturnType<T[K]>>> };

/** Wrap every method of a table module with `op`. */
function mapOps<T extends Sync>(
  methods: T,
  op: <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A) => Promise<Awaited<R>>,
): Async<T> {
  return Object.fromEntries(
    Object.entries(methods).map(([name, fn]) => [name, op(fn as (...args: unknown[]) => unknown)]),
  ) as unknown as Async<T>;
}
