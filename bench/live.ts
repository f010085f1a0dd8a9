import { arg, machine, median, percentile, sleep } from './lib.js';
import { deliveryLatencies, makeEvent, pushRequest, setup, teardown, waitDelivered, type Setup } from './traffic.js';

/**
 * Live traffic: batches per event and latency (push → accepted by the sandbox) at a steady, realistic rate, for
 * several values of CURRENTS_BATCH_WAIT_MS in the same run (each run alternates them, on fresh data).
 *
 *   node dist/bench/live.js [--users 1000] [--rate 0.3] [--seconds 60] [--runs 3] [--burst 1] [--gap-ms 500]
 *                           [--waits 0,100,200]
 *
 * Each user's events arrive as a Poisson process of `rate` events per second in all. With `--burst N` they come as
 * messages of N events (a send, then its delivery, open, click: what one campaign message makes in Currents), the
 * message at a Poisson time and each next event of it an exponential gap of mean `gap-ms` later (a message of more
 * than two events repeats its second type); the rate per user
 * is the same. Pushes go out every 10 ms with what became due, as Currents' HTTP connector would post them.
 */

interface Result {
  batchesPerEvent: number;
  p50: number;
  p99: number;
  events: number;
}

const waitsArg = (): number[] => {
  const i = process.argv.indexOf('--waits');
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  return (raw ?? '0,100,200').split(',').map(Number);
};

/** Exponential draw of mean `mean`. */
const exp = (mean: number) => -Math.log(1 - Math.random()) * mean;

/**
 * A message's events, in pairs that share an envelope in mParticle (the same user and device data), so that they can
 * share a batch: an email's send and delivery, an SMS's, an opened email's open and click.
 */
const CHANNELS = [
  ['users.messages.email.Send', 'users.messages.email.Delivery'],
  ['users.messages.sms.Send', 'users.messages.sms.Delivery'],
  ['users.messages.email.Open', 'users.messages.email.Click'],
] as const;

interface Due {
  at: number;
  user: number;
  type: string;
}

/** When each event is due (ms from the start), whose it is and its type, for `seconds` of traffic. */
function schedule(users: number, rate: number, seconds: number, burst: number, gapMs: number): Due[] {
  const due: Due[] = [];
  const messageMeanMs = 1000 / (rate / burst);
  for (let user = 0; user < users; user++) {
    for (let at = exp(messageMeanMs); at < seconds * 1000; at += exp(messageMeanMs)) {
      let t = at;
      const channel = CHANNELS[Math.floor(Math.random() * CHANNELS.length)]!;
      for (let k = 0; k < burst; k++) {
        if (t < seconds * 1000) due.push({ at: t, user, type: channel[Math.min(k, 1)]! });
        t += exp(gapMs);
      }
    }
  }
  return due.sort((a, b) => a.at - b.at);
}

async function run(wait: number, plan: Due[]): Promise<Result> {
  const s: Setup = await setup({ env: { CURRENTS_BATCH_WAIT_MS: String(wait) }, events: CHANNELS.flat() });
  try {
    const pushedAt = new Map<string, number>();
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    let next = 0;
    for (let tick = 1; next < plan.length; tick++) {
      const dueAt = start + tick * 10;
      const left = dueAt - performance.now();
      if (left > 0) await sleep(left);
      const now = Date.now();
      const batch: Record<string, unknown>[] = [];
      while (next < plan.length && plan[next]!.at <= tick * 10) {
        const d = plan[next++]!;
        batch.push(makeEvent(now, d.user, d.type));
      }
      if (batch.length === 0) continue;
      for (const e of batch) pushedAt.set(e.id as string, now);
      inflight.push(pushRequest(s.pool, batch));
    }
    await Promise.all(inflight);
    await waitDelivered(s.sandbox, pushedAt.size);
    return await measure(s, pushedAt);
  } finally {
    await teardown(s);
  }
}

async function measure(s: Setup, pushedAt: Map<string, number>): Promise<Result> {
  const { batches, latencies } = await deliveryLatencies(s.sandbox, pushedAt);
  return {
    batchesPerEvent: batches / latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    events: latencies.length,
  };
}

async function main(): Promise<void> {
  const users = arg('users', 1000);
  const rate = arg('rate', 0.3);
  const seconds = arg('seconds', 60);
  const runs = arg('runs', 3);
  const burst = arg('burst', 1);
  const gapMs = arg('gap-ms', 500);
  const waits = waitsArg();
  console.log(`machine: ${machine()}`);
  console.log(
    `${users} users at ${rate} events/user/s for ${seconds} s, ` +
      (burst > 1 ? `messages of ${burst} events a mean ${gapMs} ms apart` : 'each event on its own'),
  );
  const results = new Map<number, Result[]>(waits.map((w) => [w, []]));
  for (let r = 0; r < runs; r++) {
    const plan = schedule(users, rate, seconds, burst, gapMs);
    // Alternate the order, so that the machine's drift hits every wait alike.
    const order = r % 2 === 0 ? waits : [...waits].reverse();
    for (const wait of order) {
      const res = await run(wait, plan);
      results.get(wait)!.push(res);
      console.log(
        `run ${r + 1}, CURRENTS_BATCH_WAIT_MS=${wait}: ${res.batchesPerEvent.toFixed(3)} batches per event, ` +
          `p50 ${res.p50} ms, p99 ${res.p99} ms (${res.events} events)`,
      );
    }
  }
  for (const [wait, rs] of results) {
    console.log(
      `median of ${rs.length}, CURRENTS_BATCH_WAIT_MS=${wait}: ` +
        `${median(rs.map((x) => x.batchesPerEvent)).toFixed(3)} batches per event, ` +
        `p50 ${median(rs.map((x) => x.p50))} ms, p99 ${median(rs.map((x) => x.p99))} ms`,
    );
  }
}

await main();
