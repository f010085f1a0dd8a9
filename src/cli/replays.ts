import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { HttpError } from '../server/errors.js';
import { listReplayViews, parseRange, previewReplay, type ReplayView } from '../server/exports/replays.js';
import type { Store } from '../store/port.js';
import { openFromFlags, storeOptions } from './store-access.js';

/**
 * `currents exports replay <id> --from --to` and `currents exports replays <id>`: re-send a time range of the log
 * and follow it, on the store itself. The running service (any delivery process sharing the store) notices the
 * replay within a couple of seconds and sends it; the progress shown here is read from the store, as the API shows it.
 * Exit codes of `replay`: 0 done (or not waited for), 1 some of its events did not reach mParticle or it could not
 * start.
 */

/** How long a replay may go unseen by any delivery process before the command says so. */
const NOBODY_MS = 10_000;
const RELATIVE = /^(\d+(?:\.\d+)?)\s*(m|min|h|d)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time as typed: an ISO time, a date, `now`, or how long ago (`90m`, `24h`, `7d`); passed on as ISO. */
export function cliTime(text: string | undefined, now: number): string | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.toLowerCase() === 'now') return new Date(now).toISOString();
  const rel = RELATIVE.exec(t);
  if (rel) return new Date(now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!).toISOString();
  return t;
}

interface ReplayFlags extends Flags {
  from: string;
  to?: string;
  wait: boolean;
  json?: boolean;
  interval: string;
}

export function registerReplayCommands(group: Command): void {
  storeOptions(group.command('replay <id>'))
    .description('re-send a time range of what the log holds to this export, with a progress bar until it is done')
    .requiredOption('--from <time>', 'start of the event-time range: ISO time, date, or how long ago (24h, 7d)')
    .option('--to <time>', 'end of the range (inclusive), same forms; default now')
    .option('--no-wait', 'start the replay and return at once')
    .option('--interval <ms>', 'how often to read the progress', '500')
    .action((id: string, flags: ReplayFlags) =>
      run(flags, (store, partitions) => replay(store, partitions, id, flags)),
    );

  storeOptions(group.command('replays <id>'))
    .description("an export's replays with their progress, newest first")
    .option('--json', 'print JSON (as GET /v1/exports/:id/replays)')
    .action((id: string, flags: Flags & { json?: boolean }) =>
      run(flags, async (store, partitions) => {
        const views = (await listReplayViews(store, await load(store, id), partitions, Date.now())).reverse();
        process.stdout.write(flags.json ? `${JSON.stringify({ replays: views }, null, 2)}\n` : table(views));
      }),
    );
}

async function run(flags: Flags, work: (store: Store, partitions: number) => Promise<void>): Promise<void> {
  const { config, store } = await openFromFlags(flags);
  try {
    await work(store, config.partitions);
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    process.stderr.write(`currents exports: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

async function load(store: Store, id: string) {
  const record = await store.getExport(id);
  if (record === null)
    throw new HttpError(404, 'not_found', `no export with id ${id}; "currents exports list" lists them`);
  return record;
}

async function replay(store: Store, partitions: number, id: string, flags: ReplayFlags): Promise<void> {
  const record = await load(store, id);
  const now = Date.now();
  const range = parseRange(cliTime(flags.from, now), cliTime(flags.to, now), now);
  const preview = await previewReplay(store, record, range, partitions);
  const out = process.stdout;
  out.write(
    `The log holds ${n(preview.events)} events of ${record.name} (${record.id})'s types and sources ` +
      `from ${preview.from} to ${preview.to}.\n`,
  );
  if (preview.no_feed > 0) {
    out.write(`${n(preview.no_feed)} of them have no feed in this export and are not sent.\n`);
  }
  const created = await store.createReplay({
    exportId: record.id,
    ...range,
    uptoSeq: preview.upto_seq,
    createdAt: now,
  });
  const g = created.generation;
  if (!flags.wait) {
    out.write(`Replay ${g} started. Follow it with: currents exports replays ${record.id}\n`);
    return;
  }
  if (record.state === 'paused') {
    process.stderr.write(`The export is paused: replay ${g} waits until it is resumed (currents exports resume).\n`);
  }
  process.stderr.write(`Replay ${g}: the running service sends it; Ctrl-C stops waiting, not the replay.\n`);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `replay ${g} |{bar}| {percentage}% | {value}/{total} events | {delivered} delivered`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(preview.events - preview.no_feed, 1), 0, { delivered: 0 });
  const every = Math.max(50, Number(flags.interval) || 500);
  let view: ReplayView | undefined;
  const hintAt = Date.now() + NOBODY_MS;
  let hinted = false;
  for (;;) {
    view = (await listReplayViews(store, record, partitions, Date.now())).find((v) => v.generation === g);
    if (!hinted && view?.state === 'running' && record.state !== 'paused' && Date.now() > hintAt) {
      hinted = true;
      // A delivery process gives a replay its cursors as soon as it sees it: none yet means none is running here.
      const cursors = (await store.getCursors(record.id)).filter((c) => c.generation === g);
      if (cursors.length === 0) {
        bar.stop();
        process.stderr.write(
          `No process has picked replay ${g} up yet: is \`currents serve\` running on this data folder or database? ` +
            'The replay is stored and starts when it runs; keep waiting or press Ctrl-C.\n',
        );
        bar.start(Math.max(view.events, 1), view.sent, { delivered: n(view.delivered) });
      }
    }
    if (view === undefined) throw new HttpError(404, 'not_found', `replay ${g} is gone: was export ${id} deleted?`);
    bar.setTotal(Math.max(view.events, 1));
    bar.update(view.events === 0 && view.state !== 'running' ? 1 : view.sent, { delivered: n(view.delivered) });
    if (view.state !== 'running') break;
    await new Promise((r) => setTimeout(r, every));
  }
  bar.stop();
  out.write(summary(view));
  if (view.state === 'failed') process.exitCode = 1;
}

function summary(v: ReplayView): string {
  const head = v.state === 'done' ? `Replay ${v.generation} done` : `Replay ${v.generation} finished with losses`;
  return (
    `${head} in ${v.seconds} s: ${n(v.events)} events re-sent; ${n(v.delivered)} delivered, ` +
    `${n(v.skipped)} skipped (no external user id), ${n(v.dead_lettered)} dead-lettered, ${n(v.dropped)} dropped.\n` +
    (v.message === null ? '' : `${v.message}\n`)
  );
}

function table(views: readonly ReplayView[]): string {
  if (views.length === 0) return 'No replays yet: "currents exports replay <id> --from <time>" starts one.\n';
  const rows = [
    ['#', 'state', 'from', 'to', 'sent', 'delivered', 'skipped', 'dead-lettered', 'dropped', 'started', 'took'],
    ...views.map((v) => [
      String(v.generation),
      v.state,
      v.from,
      v.to,
      `${n(v.sent)}/${n(v.events)} (${v.percent}%)`,
      n(v.delivered),
      n(v.skipped),
      n(v.dead_lettered),
      n(v.dropped),
      v.started_at,
      v.finished_at === null ? 'running' : `${v.seconds} s`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

const n = (x: number): string => x.toLocaleString('en-US');
