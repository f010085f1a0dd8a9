import type { Logger } from 'pino';
import type { NewEvent } from '../../types.js';
import { StoreConfigError, StoreUnavailableError } from '../errors.js';
import type { AppendResult, Store, StoreCapabilities } from '../port.js';
import { makeAppender } from './append.js';
import { makeChunks } from './chunks.js';
import { makeDeliveryState } from './delivery-state.js';
import { fromPg } from './errors.js';
import { makeExports } from './exports.js';
import { AsyncGroupCommit } from './group-commit.js';
import { makeHistory } from './history.js';
import { makeLeases } from './leases.js';
import { migrate } from './migrate.js';
import { openDb, type Db } from './pool.js';
import { makeQuarantine } from './quarantine.js';
import { makeReader } from './read.js';
import { makeRetention } from './retention.js';
import { makeSourceObjects } from './source-objects.js';
import { makeSourceKeys, makeSources, type PgSourceKeys } from './sources.js';
import { makeTeam } from './team.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (the password never appears in messages or logs). */
  connectionString: string;
  /** Schema holding every table, created when missing (default `public`); lowercase letters, digits, underscores. */
  schema?: string;
  logger: Logger;
  /** Connections per process (default 10, at least 2: a retention pass holds one while it works with another). */
  poolSize?: number;
  /** Seqs per partition of the event log (default 1,000,000): the unit retention drops. */
  partitionSize?: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({ multiProcess: true, partitionedRetention: true });
const DEFAULT_PARTITION_SIZE = 1_000_000;
/** Events per group commit at most: bounds a transaction's statement (~10 MB of 1 KiB events). */
const MAX_EVENTS_PER_COMMIT = 10_000;
/** A group commit slower than this is worth a warning: callers (HTTP pushes) are waiting on it. */
const SLOW_COMMIT_MS = 1000;

/** Open (creating and migrating when needed) the PostgreSQL store. Several processes may open the same schema. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const partitionSize = options.partitionSize ?? DEFAULT_PARTITION_SIZE;
  if (!Number.isSafeInteger(partitionSize) || partitionSize < 1) {
    throw new StoreConfigError(`partitionSize must be a positive integer, not ${partitionSize}`);
  }
  const db = openDb({
    connectionString: options.connectionString,
    schema: options.schema ?? 'public',
    poolSize: Math.max(2, options.poolSize ?? 10),
    logger: options.logger,
  });
  try {
    const applied = await migrate(db);
    if (applied.length > 0) options.logger.info({ schema: db.schema, applied }, 'applied PostgreSQL migrations');
    const chunks = makeChunks(db, partitionSize, options.logger);
    const [state] = await db.query<{ next_seq: number }>('SELECT next_seq FROM log_state');
    // Only the chunk the next append writes into: opening writes nothing when it exists (a read-only server then
    // still opens, and says it is read-only through ping and 503s). Appends create the ones after it.
    await chunks.ensure(state!.next_seq);
    const sourceKeys = makeSourceKeys(db);
    await sourceKeys.load();
    return storeOn(db, chunks, sourceKeys, options.logger);
  } catch (e) {
    await db.end().catch(() => undefined);
    throw fromPg(e, db.where);
  }
}

function storeOn(db: Db, chunks: ReturnType<typeof makeChunks>, sourceKeys: PgSourceKeys, logger: Logger): Store {
  let closed = false;
  /** Appends waiting for the sources to be loaded (a source new to this process): close waits for them too. */
  const admitting = new Set<Promise<unknown>>();
  /** The retention pass under way: close lets it stop between partitions before the connections go. */
  let retaining: Promise<number> | null = null;
  const appender = makeAppender(db, chunks, sourceKeys);
  const reader = makeReader(db, sourceKeys);
  const sources = makeSources(db, sourceKeys);
  const sourceObjects = makeSourceObjects(db);
  const retention = makeRetention(db, chunks, logger, () => closed);
  const quarantine = makeQuarantine(db);
  const exportsTable = makeExports(db);
  const delivery = makeDeliveryState(db);
  const history = makeHistory(db);
  const leases = makeLeases(db);
  const team = makeTeam(db);

  const commits = new AsyncGroupCommit<readonly NewEvent[], AppendResult>(
    async (calls) => {
      const started = performance.now();
      try {
        return await appender.append(calls);
      } catch (e) {
        throw fromPg(e, db.where);
      } finally {
        const ms = performance.now() - started;
        if (ms > SLOW_COMMIT_MS) logger.warn({ ms: Math.round(ms), callers: calls.length }, 'slow group commit');
      }
    },
    { maxWeight: MAX_EVENTS_PER_COMMIT, weigh: (events) => events.length, logger },
  );

  const ensureOpen = (): void => {
    if (closed) throw new Error(`the PostgreSQL store ${db.where} (schema ${db.schema}) is closed: open it again`);
  };
  /** Every port method: refuse after close, map PostgreSQL failures to store errors. */
  const op =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      ensureOpen();
      try {
        return await fn(...args);
      } catch (e) {
        throw fromPg(e, db.where);
      }
    };

  return {
    capabilities: CAPABILITIES,

    append: async (events) => {
      ensureOpen();
      if (events.length === 0) return { stored: 0, duplicateIndexes: [], lastSeq: null };
      // Before joining a group commit: a call naming an unknown source fails alone, not the others of its group.
      // Known sources (the usual case) join at once, so an append called before close is committed by it.
      const ids = new Set(events.map((e) => e.source));
      if (sourceKeys.knows(ids)) return commits.submit(events);
      const admitted = sourceKeys.keysFor([...ids]).then(
        () => commits.submit(events),
        (e: unknown) => {
          throw fromPg(e, db.where);
        },
      );
      admitting.add(admitted);
      void admitted.catch(() => undefined).finally(() => admitting.delete(admitted));
      return admitted;
    },
    read: op(reader.read),
    headSeq: op(reader.headSeq),
    seqBefore: op(reader.seqBefore),
    stats: op(reader.stats),
    countBacklog: op(reader.countBacklog),
    countBacklogBySource: op(reader.countBacklogBySource),
    findEvent: op(reader.findEvent),
    applyRetention: op((olderThanMs: number) => {
      const pass = retention(olderThanMs);
      retaining = pass;
      return pass;
    }),

    ...mapOps(quarantine, op),
    ...mapOps(exportsTable, op),
    ...mapOps(sources, op),
    ...mapOps(sourceObjects, op),
    ...mapOps(delivery, op),
    ...mapOps(history, op),
    ...mapOps(leases, op),
    ...mapOps(team, op),

    // Nothing is cached here for speed: the server's own buffers are PostgreSQL's to manage.
    releaseMemory: async () => undefined,

    ping: op(async () => {
      const [r] = await db.query<{ standby: boolean; ro: string }>(
        "SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS ro",
      );
      if (r!.standby || r!.ro === 'on') {
        throw new StoreUnavailableError(
          `the PostgreSQL store ${db.where} is read-only (a standby, or default_transaction_read_only): point DATABASE_URL at the primary`,
          { retryAfterSeconds: 30 },
        );
      }
    }),

    close: async () => {
      if (closed) return;
      closed = true;
      // Appends already accepted are committed before the connections go.
      await Promise.allSettled([...admitting]);
      await commits.drain();
      await retaining?.catch(() => undefined);
      await chunks.idle();
      await db.end();
    },
  };
}

type AsyncMethods = Record<string, (...args: never[]) => Promise<unknown>>;

/** Wrap every method of a table module with `op`. */
function mapOps<T extends AsyncMethods>(
  methods: T,
  op: <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) => Promise<R>,
): T {
  return Object.fromEntries(
    Object.entries(methods).map(([name, fn]) => [name, op(fn as (...args: unknown[]) => Promise<unknown>)]),
  ) as unknown as T;
}
