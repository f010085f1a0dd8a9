import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { describeOrigin } from '../ingest/quarantine-origin.js';
import { retryQuarantine, retryWouldFail, sourceNames } from '../server/quarantine.js';
import { openFromFlags, storeOptions } from './store-access.js';

/** `currents quarantine list|retry|dismiss`: what was refused at ingest, its replay after a fix, or its dismissal. */
export function registerQuarantine(program: Command): void {
  const group = program
    .command('quarantine')
    .description('input refused at ingest: list it, retry it after a fix, dismiss what will never pass');

  storeOptions(group.command('list'))
    .description('list quarantined records (reason, source, raw input)')
    .option('--limit <n>', 'records to show', '50')
    .option('--after <id>', 'show records after this id', '0')
    .option('--dismissed', 'list the dismissed records instead')
    .option('--json', 'one JSON object per line')
    .action(async (flags: Flags & { limit: string; after: string; json?: boolean; dismissed?: boolean }) => {
      const limit = wholeNumber(flags.limit, '--limit', 1);
      const after = wholeNumber(flags.after, '--after', 0);
      if (limit === null || after === null) return;
      const { store } = await openFromFlags(flags);
      try {
        const records = await store.listQuarantine({ limit, afterId: after, dismissed: flags.dismissed === true });
        const state = await retryWouldFail(store);
        const name = await sourceNames(store);
        for (const r of records) {
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(r)}\n`);
            continue;
          }
          const when = new Date(r.receivedAt).toISOString();
          process.stdout.write(`#${r.id}  received ${when}\n  ${describeOrigin(r.source, name)}\n  ${r.reason}\n`);
          if (r.dismissedAt !== null) {
            process.stdout.write(`  dismissed ${new Date(r.dismissedAt).toISOString()}: ${r.dismissedNote ?? ''}\n`);
          }
        }
        if (!flags.json) {
          process.stdout.write(
            `${records.length} shown, ${state.open} in quarantine` +
              (state.dismissed > 0 ? `, ${state.dismissed} dismissed (--dismissed lists them)` : '') +
              '\n',
          );
          if (state.unchanged && flags.dismissed !== true) {
            process.stdout.write(
              'Nothing changed since these were refused (same service version and catalog): a retry would refuse ' +
                'them again. Fix what sent them, or dismiss those that will never pass.\n',
            );
          }
        }
      } finally {
        await store.close();
      }
    });

  registerDismiss(group);

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

function registerDismiss(group: Command): void {
  storeOptions(group.command('dismiss'))
    .description(
      'dismiss records that will never pass: kept, with the time and the note, but out of the list and counts',
    )
    .argument('<ids...>', 'record ids (see currents quarantine list)')
    .option(
      '--note <text>',
      'who dismissed them, or why (kept with the records)',
      'dismissed with currents quarantine dismiss',
    )
    .action(async (ids: string[], flags: Flags & { note: string }) => {
      const numbers = ids.map((i) => wholeNumber(i, 'a record id', 1));
      if (numbers.some((n) => n === null)) return;
      const { store } = await openFromFlags(flags);
      try {
        const wanted = [...new Set(numbers as number[])];
        const dismissed = await store.dismissQuarantine(wanted, Date.now(), flags.note);
        const done = new Set(dismissed);
        const missed = wanted.filter((id) => !done.has(id));
        process.stdout.write(
          `dismissed ${dismissed.length}${dismissed.length > 0 ? `: #${dismissed.join(', #')}` : ''}\n`,
        );
        if (missed.length > 0) {
          process.stderr.write(
            `not in quarantine (unknown, or dismissed before): #${missed.join(', #')}; ` +
              '"currents quarantine list" shows the open records\n',
          );
          process.exitCode = 1;
        }
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
