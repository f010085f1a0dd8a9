import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { retryQuarantine } from '../server/quarantine.js';
import { openFromFlags, storeOptions } from './store-access.js';

/** `currents quarantine list|retry`: what was refused at ingest, and its replay after a fix. */
export function registerQuarantine(program: Command): void {
  const group = program.command('quarantine').description('input refused at ingest: list it, retry it after a fix');

  storeOptions(group.command('list'))
    .description('list quarantined records (reason, source, raw input)')
    .option('--limit <n>', 'records to show', '50')
    .option('--after <id>', 'show records after this id', '0')
    .option('--json', 'one JSON object per line')
    .action(async (flags: Flags & { limit: string; after: string; json?: boolean }) => {
      const { store } = await openFromFlags(flags);
      try {
        const records = await store.listQuarantine({ limit: Number(flags.limit), afterId: Number(flags.after) });
        const total = await store.countQuarantine();
        for (const r of records) {
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(r)}\n`);
            continue;
          }
          const where =
            r.source.kind === 'http'
              ? `http request ${r.source.requestId} #${r.source.index}`
              : r.source.kind === 'file'
                ? `${r.source.path} @${r.source.offset}`
                : `retry of ${r.source.quarantineId}`;
          process.stdout.write(`#${r.id}  ${new Date(r.receivedAt).toISOString()}  ${where}\n  ${r.reason}\n`);
        }
        if (!flags.json) process.stdout.write(`${records.length} shown, ${total} in quarantine\n`);
      } finally {
        await store.close();
      }
    });

  storeOptions(group.command('retry'))
    .description('validate quarantined records again and store those that now pass (all, or the ids given)')
    .argument('[ids...]', 'record ids (default: all)')
    .action(async (ids: string[], flags: Flags) => {
      const { config, store } = await openFromFlags(flags);
      try {
        const wanted = ids.length === 0 ? 'all' : ids.map((i) => Number(i));
        const summary = await retryQuarantine(store, wanted, { partitions: config.partitions, now: Date.now });
        process.stdout.write(
          `retried ${summary.retried}: stored ${summary.stored}, duplicates ${summary.duplicates}, ` +
            `still quarantined ${summary.stillQuarantined.length}\n`,
        );
        for (const s of summary.stillQuarantined) process.stdout.write(`  #${s.id}: ${s.reason}\n`);
      } finally {
        await store.close();
      }
    });
}
