import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { StoreConfigError } from './errors.js';
import type { Store } from './port.js';
import { openSqliteStore } from './sqlite/index.js';
import { openThreadedSqliteStore } from './threaded/index.js';

/**
 * Open the store the settings select (PostgreSQL when a database URL is given, else SQLite under the data folder) and
 * check that it was made with the same partition count: a user's events must keep landing in one partition.
 */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  let store: Store;
  if (config.databaseUrl !== null) {
    const { openPostgresStore } = await import('./postgres/index.js');
    store = await openPostgresStore({
      connectionString: config.databaseUrl,
      schema: config.database.schema,
      poolSize: config.database.poolSize,
      partitionSize: config.database.partitionSize,
      logger,
    });
  } else {
    mkdirSync(config.dataDir, { recursive: true });
    const options = {
      path: join(config.dataDir, 'currents.db'),
      synchronous: config.sqliteSync,
      groupCommitMs: config.groupCommitMs,
      cacheSizeMb: config.sqliteCacheMb,
      logger,
    };
    store = config.sqliteThread ? await openThreadedSqliteStore(options) : await openSqliteStore(options);
  }
  try {
    await checkPartitions(store, config.partitions);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

async function checkPartitions(store: Store, partitions: number): Promise<void> {
  const kept = await store.getMeta('partitions');
  if (kept === null) {
    await store.setMeta('partitions', String(partitions));
    return;
  }
  if (Number(kept) !== partitions) {
    throw new StoreConfigError(
      `this store was created with ${kept} partitions and the settings ask for ${partitions}; ` +
        `start with --partitions ${kept} (changing it would break per-user order), or use a new data folder or database`,
    );
  }
}
