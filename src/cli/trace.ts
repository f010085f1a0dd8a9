import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { traceEvent } from '../server/exports/trace.js';
import { openFromFlags, storeOptions } from './store-access.js';

/** `currents trace <event-id>`: what became of one event, per export (the same as GET /v1/events/:id). */
export function registerTrace(program: Command): void {
  storeOptions(program.command('trace'))
    .description('what became of one event: its place in the log and, per export, its fate')
    .argument('<event-id>', 'the Currents event id')
    .option('--json', 'the whole trace as JSON, with the stored event and its mParticle mapping')
    .action(async (eventId: string, flags: Flags & { json?: boolean }) => {
      const { store } = await openFromFlags(flags);
      try {
        const row = await store.findEvent(eventId);
        if (row === null) {
          process.stderr.write(
            `the log holds no event with id ${eventId}: it was never received, was refused at ingest ` +
              '(`currents quarantine list`), or retention removed it\n',
          );
          process.exitCode = 1;
          return;
        }
        const trace = await traceEvent(row, store, Date.now());
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(trace, null, 2)}\n`);
          return;
        }
        const { log } = trace;
        process.stdout.write(
          `${trace.event_id}  ${log.type}  log #${log.seq} (partition ${log.partition})  time ${log.time}  ` +
            `received ${log.received_at} from source ${log.source}\n`,
        );
        if (trace.exports.length === 0) process.stdout.write('  no export exists\n');
        for (const e of trace.exports) {
          process.stdout.write(`  ${e.export_name} (${e.export_id}): ${e.fate}\n    ${e.message}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
