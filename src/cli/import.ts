import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { importPaths, type ImportProgress, type ImportSink, type ImportSummary } from '../ingest/files.js';
import { toError } from '../store/errors.js';

/**
 * `currents import <path...>`: read Currents files (Avro storage dumps, NDJSON, JSON) into the event log. A bad file
 * is reported and skipped, the others are imported; running it again stores nothing twice.
 * Exit codes: 0 every file was read, 2 some could not be read (the rest were imported), 1 the import could not run
 * (a path that does not exist, a store that cannot be opened): then nothing was imported.
 */

/** The import cannot start as asked (a source that does not exist, or is paused): the message says what to do. */
export class ImportRefused extends Error {
  override readonly name = 'ImportRefused';
}

export interface ImportDeps {
  /**
   * Opens the store the events go to; receives the command's options (store location, partitions, `source`), and
   * says which source the events are filed under (throws ImportRefused when that source cannot take them).
   */
  openSink: (
    flags: Record<string, unknown>,
  ) => Promise<{ sink: ImportSink; partitions: number; source: string; close: () => Promise<void> }>;
  /** Adds the options `openSink` reads (e.g. the shared store options). */
  options?: (command: Command) => Command;
}

const number = (n: number): string => n.toLocaleString('en-US');

interface Reporter {
  progress(p: ImportProgress): void;
  done(): void;
}

/** A bar over the bytes of all files, for a person watching a terminal. */
function barReporter(out: NodeJS.WriteStream): Reporter {
  const bar = new cliProgress.SingleBar(
    {
      stream: out,
      format: 'importing |{bar}| {percentage}% | {filesDone}/{filesTotal} files | {events} events | {name}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    progress(p) {
      const payload = {
        filesDone: p.filesDone,
        filesTotal: p.filesTotal,
        events: number(p.events),
        name: basename(p.file),
      };
      if (!started) {
        bar.start(Math.max(p.bytesTotal, 1), p.bytesDone, payload);
        started = true;
      } else {
        bar.update(p.bytesDone, payload);
      }
    },
    done() {
      if (started) bar.stop();
    },
  };
}

/** One line per file read, for logs and pipes. */
function lineReporter(out: NodeJS.WritableStream): Reporter {
  let filesDone = 0;
  let eventsBefore = 0;
  return {
    progress(p) {
      if (p.filesDone === filesDone) return;
      filesDone = p.filesDone;
      out.write(`[${p.filesDone}/${p.filesTotal}] ${p.file}: ${number(p.events - eventsBefore)} events read\n`);
      eventsBefore = p.events;
    },
    done() {},
  };
}

export function formatSummary(s: ImportSummary): string {
  const lines = [
    `files: ${number(s.files)}, events read: ${number(s.events)}, stored: ${number(s.stored)}, ` +
      `duplicates (already stored): ${number(s.duplicates)}, repeated in these files: ${number(s.repeated)}, ` +
      `quarantined: ${number(s.quarantined)}, ` +
      `failed files: ${number(s.failures.length)}`,
  ];
  if (s.files === 0 && s.failures.length === 0) {
    lines.push('no .avro, .ndjson, .jsonl or .json files were found under the given paths');
  }
  for (const f of s.failures) lines.push(`  failed: ${f.path} at byte ${f.offset}: ${f.error}`);
  if (s.failures.length > 0) {
    lines.push('the other files were imported; fix or replace the failed ones and import them again');
  }
  if (s.quarantined > 0) {
    lines.push('quarantined events: see `currents quarantine list`, fix them, then `currents quarantine retry`');
  }
  if (s.missing.length > 0) {
    lines.push(
      'events kept without a field the catalog marks non-nullable (only event_type, id and time are required):',
    );
    for (const m of s.missing) lines.push(`  ${m.type}: ${m.field} missing in ${number(m.count)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Paths given that name nothing: a typo must not import the other paths and read as a partial success. */
async function missingPaths(paths: readonly string[]): Promise<string[]> {
  const found = await Promise.all(
    paths.map((p) =>
      stat(p).then(
        () => true,
        (e: NodeJS.ErrnoException) => e.code !== 'ENOENT' && e.code !== 'ENOTDIR',
      ),
    ),
  );
  return paths.filter((_, i) => !found[i]);
}

export function registerImport(program: Command, deps: ImportDeps): void {
  const command = program
    .command('import')
    .description(
      'import Currents files (Avro storage files, NDJSON, JSON) into the event log; folders are read recursively',
    )
    .argument('<path...>', 'files or folders')
    .option('--chunk-size <n>', 'events handed to the store per transaction', '1000')
    .option('--source <id>', 'the source to file the events under (see `currents sources list`)', 'default');
  deps.options?.(command);
  command.action(async (paths: string[], flags: Record<string, unknown>) => {
    const chunkSize = Number(flags.chunkSize);
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      process.stderr.write(`--chunk-size must be a positive whole number (got ${String(flags.chunkSize)})\n`);
      process.exitCode = 1;
      return;
    }
    const missing = await missingPaths(paths);
    if (missing.length > 0) {
      const list = missing.join(', ');
      process.stderr.write(
        `${missing.length === 1 ? `${list} does not exist` : `these paths do not exist: ${list}`}: ` +
          'check the path and run the import again; nothing was imported\n',
      );
      process.exitCode = 1;
      return;
    }
    let opened;
    try {
      opened = await deps.openSink(flags);
    } catch (e) {
      process.stderr.write(
        e instanceof ImportRefused ? `${e.message}\n` : `cannot open the store: ${toError(e).message}\n`,
      );
      process.exitCode = 1;
      return;
    }
    const reporter = process.stdout.isTTY ? barReporter(process.stdout) : lineReporter(process.stdout);
    try {
      const summary = await importPaths(paths, {
        sink: opened.sink,
        partitions: opened.partitions,
        source: opened.source,
        chunkSize,
        onProgress: (p) => reporter.progress(p),
      });
      reporter.done();
      process.stdout.write(formatSummary(summary));
      process.exitCode = summary.failures.length > 0 ? 2 : 0;
    } catch (e) {
      reporter.done();
      process.stderr.write(`import stopped: ${toError(e).message}\n`);
      process.exitCode = 1;
    } finally {
      await opened.close().catch((e: unknown) => {
        process.stderr.write(`closing the store failed: ${toError(e).message}\n`);
        process.exitCode = 1;
      });
    }
  });
}
