/**
 * Importing a bucket: the service polling an S3 source against `currents import` reading the same files from disk,
 * measured in one run. Not a test: run it after `npm run build`:
 *
 *   node dist/bench/bucket-import.js [--events 1000000] [--objects 200] [--rounds 2]
 *
 * The files are made here: Avro (deflate) in Braze's layout, five event types over twenty hours, `events / objects`
 * events each. They are written to a temporary folder and uploaded to a local S3 server (s3rver, the tests' one, in a
 * child process). Each round runs, on a fresh data folder each time, (a) `currents import <folder>` to its exit and
 * (b) `currents serve` with an S3 source whose `from` covers every hour, until its status counts every event; the
 * service's resident memory is sampled every 100 ms. Reported: events/s of both, their ratio (the aim is at least 0.8)
 * and the service's peak RSS; medians over the rounds last.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { avroFile, brazeKey, HOUR, records } from '../test/helpers/braze-files.js';
import { S3_KEY, startS3 } from '../test/helpers/s3-server.js';
import { machine, MAIN, median, sleep, startChild } from './lib.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    objects: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '2' },
  },
});
const EVENTS = Number(values.events);
const OBJECTS = Number(values.objects);
const ROUNDS = Number(values.rounds);
const TYPES = [
  'users.messages.email.Send',
  'users.messages.email.Delivery',
  'users.messages.email.Open',
  'users.messages.pushnotification.Send',
  'users.messages.pushnotification.Open',
];
const BUCKET = 'braze-currents-bench';
const PREFIX = 'brand-b/';
const ADMIN = 'bench-admin-token-0123456789abcdef';
const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

/** The files, on disk under `dir` with the same keys they get in the bucket; returns the keys and total bytes. */
async function makeFiles(dir: string, firstHour: number): Promise<{ keys: string[]; bytes: number }> {
  const per = Math.ceil(EVENTS / OBJECTS);
  const keys: string[] = [];
  let bytes = 0;
  for (let i = 0; i < OBJECTS; i++) {
    const type = TYPES[i % TYPES.length]!;
    const hour = firstHour + (Math.floor(i / TYPES.length) % 20) * HOUR;
    const key = brazeKey(PREFIX, type, hour, `part-${String(i).padStart(4, '0')}`);
    const count = Math.min(per, EVENTS - i * per);
    const body = await avroFile(type, records(type, count, `user-${i % 997}`), { codec: 'deflate' });
    await mkdir(dirname(join(dir, key)), { recursive: true });
    await writeFile(join(dir, key), body);
    keys.push(key);
    bytes += body.length;
  }
  return { keys, bytes };
}

async function timeImport(files: string): Promise<number> {
  const data = await mkdtemp(join(tmpdir(), 'currents-bench-import-'));
  try {
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [MAIN, 'import', files, '--data', data], {
        env: { ...process.env, CURRENTS_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.once('exit', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`currents import exited with ${code}`);
    return seconds;
  } finally {
    await rm(data, { recursive: true, force: true });
  }
}

async function timePoll(endpoint: string, from: number): Promise<{ seconds: number; peakRss: number }> {
  const data = await mkdtemp(join(tmpdir(), 'currents-bench-serve-'));
  const service = await startChild(['serve', '--port', '0', '--data', data], { CURRENTS_ADMIN_TOKEN: ADMIN });
  try {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    let peakRss = service.usage().rss;
    const started = performance.now();
    await api('POST', '/v1/sources', {
      id: 'bench',
      name: 'Bench',
      kind: 's3',
      bucket: BUCKET,
      prefix: PREFIX,
      endpoint,
      force_path_style: true,
      access_key_id: S3_KEY,
      secret_access_key: S3_KEY,
      from: new Date(from).toISOString(),
    });
    for (let checks = 0; ; checks++) {
      peakRss = Math.max(peakRss, service.usage().rss);
      if (checks % 5 === 0) {
        const status = await api('GET', '/v1/sources/bench/status');
        if (Number(status.received_events) >= EVENTS) break;
        if (status.last_error) process.stdout.write(`  source error: ${String(status.last_error)}\n`);
      }
      await sleep(100);
    }
    return { seconds: (performance.now() - started) / 1000, peakRss };
  } finally {
    await service.stop();
    await rm(data, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // The SDK's one-time notice that its 2027 releases need Node 22 (this one runs on 20), here and in the service.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.stdout.write(`machine: ${machine()}\n`);
  const files = await mkdtemp(join(tmpdir(), 'currents-bench-files-'));
  const s3 = await startS3();
  try {
    const firstHour = Math.floor(Date.now() / HOUR) * HOUR - 22 * HOUR;
    const made = await makeFiles(files, firstHour);
    await s3.createBucket(BUCKET);
    for (const key of made.keys) await s3.put(BUCKET, key, await readFile(join(files, key)));
    process.stdout.write(
      `${f0(EVENTS)} events in ${OBJECTS} Avro objects (deflate), ${mib(made.bytes)} in all, on disk and in s3rver\n`,
    );
    const rows: { imp: number; poll: number; rss: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const importSeconds = await timeImport(files);
      const polled = await timePoll(s3.endpoint, firstHour - HOUR);
      const row = { imp: EVENTS / importSeconds, poll: EVENTS / polled.seconds, rss: polled.peakRss };
      rows.push(row);
      process.stdout.write(
        `round ${round}: currents import ${f0(row.imp)} events/s (${importSeconds.toFixed(1)} s); ` +
          `polling S3 ${f0(row.poll)} events/s (${polled.seconds.toFixed(1)} s, from the source's creation); ` +
          `ratio ${(row.poll / row.imp).toFixed(2)}; service peak RSS ${mib(row.rss)}\n`,
      );
    }
    const imp = median(rows.map((r) => r.imp));
    const poll = median(rows.map((r) => r.poll));
    const ratio = median(rows.map((r) => r.poll / r.imp));
    process.stdout.write(
      `median: currents import ${f0(imp)} events/s, polling S3 ${f0(poll)} events/s, ratio of the rounds ` +
        `${ratio.toFixed(2)} (aim ≥ 0.80); service peak RSS ${mib(Math.max(...rows.map((r) => r.rss)))}\n`,
    );
  } finally {
    await s3.stop();
    await rm(files, { recursive: true, force: true });
  }
}

await main();
