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
      const limit = wholeNumber(flags.limit, '--limit', 1);
      const after = wholeNumber(flags.after, '--after', 0);
      if (limit === null || after === null) return;
      const { store } = await openFromFlags(flags);
      try {
        const records = await store.listQuarantine({ limit, afterId: after });
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
      const numbers = ids.map((i) => wholeNumber(i, 'a record id', 1));
      if (numbers.some((n) => n === null)) return;
      const { config, store } = await openFromFlags(flags);
      try {
        const wanted = ids.length === 0 ? 'all' : (numbers as number[]);
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

/** A whole number of at least `min`, or null after telling the user (exit code 1) what was wrong. */
function wholeNumber(text: string, what: string, min: number): number | null {
  const n = Number(text);
  if (/^\d+$/.test(text.trim()) && Number.isSafeInteger(n) && n >= min) return n;
  process.stderr.write(`${what} must be a whole number of at least ${min} (got "${text}")\n`);
  process.exitCode = 1;
  return null;
}
