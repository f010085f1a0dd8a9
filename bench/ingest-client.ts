/**
 * The client side of bench/ingest.ts, run by it as a separate process (not meant to be run by hand):
 *
 *   node dist/bench/ingest-client.js --url <service> --token <ingest token> [--events N] [--warmup N] [--batch 100]
 *                                    [--connections 32] [--form flat|nested]
 *
 * Pushes a warm-up, prints "phase start", pushes the measured events, prints "phase end", then one line
 * "result <JSON ClientReport>" with what it measured and the commit histogram's change over the measured phase.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { sampleEvent } from '../src/catalog/sample.js';
import { histogramQuantile, parsePrometheus, sampleValue, type Sample } from '../test/helpers/prometheus.js';

export interface ClientReport {
  stored: number;
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  requestP50Ms: number;
  requestP99Ms: number;
  commitP50Ms: number;
  commitP99Ms: number;
  commitMeanMs: number;
  commits: number;
  clientCpuSeconds: number;
  logEvents: number;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    events: { type: 'string', default: '500000' },
    warmup: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '100' },
    connections: { type: 'string', default: '32' },
    form: { type: 'string', default: 'flat' },
  },
});

// Realistic events, unique ids, many users, built from templates so that the client's own CPU stays small next to
// the service's.
const TYPES = [
  'users.messages.email.Send',
  'users.messages.email.Open',
  'users.messages.email.Click',
  'users.messages.pushnotification.Send',
  'users.messages.pushnotification.Open',
  'users.messages.inappmessage.Impression',
];

interface Template {
  /** The event's JSON text cut at each placeholder. */
  parts: string[];
  /** Which value (0 id, 1 external user id, 2 Braze user id) goes into each cut. */
  order: number[];
}

const MARKS = ['@ID@', '@EXT@', '@UID@'];

function template(type: string, form: string): Template {
  const flat = sampleEvent(type, { id: '@ID@', externalUserId: '@EXT@', time: 1_764_300_000 });
  flat.user_id = '@UID@';
  let event: Record<string, unknown> = flat;
  if (form === 'nested') {
    const userKeys = new Set(['user_id', 'external_user_id', 'device_id', 'timezone']);
    const user: Record<string, unknown> = {};
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) {
      if (k !== 'event_type' && k !== 'id' && k !== 'time') (userKeys.has(k) ? user : properties)[k] = v;
    }
    event = { event_type: type, id: flat.id, time: flat.time, user, properties };
  }
  const text = JSON.stringify(event);
  return {
    parts: text.split(/@(?:ID|EXT|UID)@/),
    order: [...text.matchAll(/@(?:ID|EXT|UID)@/g)].map((m) => MARKS.indexOf(m[0])),
  };
}

/** Event number `n`: a fresh UUID, one of 200,000 users. */
function fill(t: Template, n: number): string {
  const user = n % 200_000;
  const fills = [randomUUID(), `cust-${user}`, user.toString(16).padStart(24, '0')];
  let text = t.parts[0]!;
  for (let j = 0; j < t.order.length; j++) text += fills[t.order[j]!]! + t.parts[j + 1]!;
  return text;
}

async function client(url: string, token: string): Promise<void> {
  const batchSize = Number(values.batch);
  const connections = Number(values.connections);
  const templates = TYPES.map((t) => template(t, values.form));
  let n = 0;
  const body = (): string => {
    const events: string[] = [];
    for (let i = 0; i < batchSize; i++, n++) {
      const k = n % templates.length;
      events.push(fill(templates[k]!, n));
    }
    return `{"events":[${events.join(',')}]}`;
  };
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = {
    authorization: `Bearer ${token}`,
    'braze-currents-version': '1',
    'content-type': 'application/json',
  };

  const push = async (requests: number, latencies: number[] | null): Promise<{ ok: number; failed: number }> => {
    let next = 0;
    let ok = 0;
    let failed = 0;
    const worker = async () => {
      while (next++ < requests) {
        const started = performance.now();
        try {
          const res = await pool.request({ method: 'POST', path: '/v1/currents', headers, body: body() });
          const text = await res.body.text();
          if (res.statusCode >= 200 && res.statusCode < 300) ok += (JSON.parse(text) as { stored: number }).stored;
          else failed += batchSize;
        } catch {
          failed += batchSize;
        }
        latencies?.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    return { ok, failed };
  };

  await push(Math.ceil(Number(values.warmup) / batchSize), null);
  const before = await scrape(url);
  process.stdout.write('phase start\n');
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await push(Math.ceil(Number(values.events) / batchSize), latencies);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  process.stdout.write('phase end\n');
  const after = await scrape(url);
  await pool.close();
  latencies.sort((x, y) => x - y);
  const commit = histogramDelta(before, after, 'currents_commit_seconds');
  const report: ClientReport = {
    stored: result.ok,
    failed: result.failed,
    seconds,
    eventsPerSecond: result.ok / seconds,
    requestP50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
    requestP99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
    commitP50Ms: (histogramQuantile(commit, 'currents_commit_seconds', 0.5) ?? NaN) * 1000,
    commitP99Ms: (histogramQuantile(commit, 'currents_commit_seconds', 0.99) ?? NaN) * 1000,
    commitMeanMs:
      ((sampleValue(commit, 'currents_commit_seconds_sum') ?? NaN) /
        (sampleValue(commit, 'currents_commit_seconds_count') ?? NaN)) *
      1000,
    commits: sampleValue(commit, 'currents_commit_seconds_count') ?? 0,
    clientCpuSeconds: (used.user + used.system) / 1e6,
    logEvents: sampleValue(after, 'currents_log_events') ?? NaN,
  };
  process.stdout.write(`result ${JSON.stringify(report)}\n`);
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  return parsePrometheus(await res.text());
}

/** The histogram's samples for what happened between two scrapes. */
function histogramDelta(before: Sample[], after: Sample[], name: string): Sample[] {
  return after
    .filter((s) => s.name.startsWith(name))
    .map((s) => ({ ...s, value: s.value - (sampleValue(before, s.name, s.labels) ?? 0) }));
}

if (values.url === undefined || values.token === undefined) {
  process.stderr.write('ingest-client is started by bench/ingest.ts with --url and --token\n');
  process.exit(1);
}
await client(values.url, values.token);
