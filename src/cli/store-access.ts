import type { Command } from 'commander';
import { ConfigError, loadConfig, type Config, type Flags } from '../config.js';
import { createLogger } from '../logger.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/port.js';
import { DEFAULT_SOURCE, type NewEvent, type NewQuarantine } from '../types.js';
import { ImportRefused } from './import.js';

/** Options shared by commands that open the store directly (import, quarantine, exports). */
export function storeOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder of the embedded store (CURRENTS_DATA_DIR; default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded store (DATABASE_URL)')
    .option('--partitions <n>', 'log partitions of the store (CURRENTS_PARTITIONS; default 16)');
}

/** The settings from flags and environment; wrong ones end the process (exit 2) with the message saying how to fix them. */
export function configOrExit(flags: Flags): Config {
  try {
    return loadConfig(flags, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** Settings and store for a one-shot command; exits with a clear message when the settings are wrong. */
export async function openFromFlags(flags: Flags): Promise<{ config: Config; store: Store }> {
  const config = configOrExit(flags);
  const store = await openStore(config, createLogger(process.env.CURRENTS_LOG_LEVEL ?? 'warn', process.stderr));
  return { config, store };
}

/** The sink `currents import` writes to: events appended to the log, invalid input to quarantine. */
export async function openImportSink(flags: Record<string, unknown>) {
  const { config, store } = await openFromFlags(flags as Flags);
  const source = typeof flags.source === 'string' ? flags.source : DEFAULT_SOURCE;
  try {
    const record = await store.getSource(source);
    if (record === null) {
      throw new ImportRefused(
        `there is no source ${source}: "currents sources list" lists them, "currents sources create" adds one`,
      );
    }
    if (record.state === 'paused') {
      throw new ImportRefused(
        `source ${source} is paused, so it takes no events: "currents sources resume ${source}", then import again`,
      );
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    partitions: config.partitions,
    source,
    close: () => store.close(),
    sink: async (chunk: { events: NewEvent[]; quarantined: NewQuarantine[] }) => {
      if (chunk.quarantined.length > 0) await store.addQuarantine(chunk.quarantined);
      const appended = await store.append(chunk.events);
      return {
        stored: appended.stored,
        duplicates: appended.duplicateIndexes.length,
        duplicateIndexes: appended.duplicateIndexes,
      };
    },
  };
}
