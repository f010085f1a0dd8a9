import { readFileSync } from 'node:fs';
import { arg, machine, sleep } from './lib.js';
import { api, pushAll, setUsers, setup, teardown, waitDelivered } from './traffic.js';

/**
 * RSS of the service over time after it takes in a backlog (export paused), to tell memory it holds from memory V8
 * has not yet given back: `node dist/bench/settle.js [--events 1000000] [--seconds 30] [--drain]`. With `--drain`
 * the backlog is then drained into the sandbox and RSS is followed from the end of the drain. Node flags for the
 * service from BENCH_NODE_FLAGS (besides `--max-semi-space-size=64`, as `npm start` runs it).
 */
async function main(): Promise<void> {
  const events = arg('events', 1_000_000);
  const seconds = arg('seconds', 30);
  const drain = process.argv.includes('--drain');
  setUsers(arg('users', 50_000));
  const s = await setup({ paused: true });
  const service = s.service;
  try {
    const flags = process.env.BENCH_NODE_FLAGS ?? '';
    console.log(`machine: ${machine()}; ${events} events${drain ? ', drained' : ''}; flags: ${flags || '(none)'}`);
    console.log(`idle, fresh: ${(service.usage().rss / 2 ** 20).toFixed(0)} MiB`);
    await pushAll(s.pool, events);
    let peak = 0;
    // While draining, the main heap's committed spaces once a second: the sample of highest RSS says what the peak is
    // made of (the main heap's young and old generations; the rest is the store thread's heap, malloc and code).
    let atPeak: { rss: number; spaces: Map<string, number> } | null = null;
    if (drain) {
      const sampler = setInterval(() => (peak = Math.max(peak, service.usage().rss)), 200);
      let draining = true;
      const heapSampler = (async () => {
        while (draining) {
          const rss = service.usage().rss;
          const spaces = heapSpaces(await (await fetch(`${service.url}/metrics`)).text());
          if (atPeak === null || rss > atPeak.rss) atPeak = { rss, spaces };
          await sleep(1000);
        }
      })();
      try {
        await api(service, 'POST', `/v1/exports/${s.exportId}/resume`);
        await waitDelivered(s.sandbox, events, 1_800_000);
      } finally {
        clearInterval(sampler);
        draining = false;
        await heapSampler.catch(() => undefined);
      }
    }
    const marks: string[] = [];
    for (let t = 0; t <= seconds; t++) {
      if (t === 1 || t % 5 === 0) marks.push(`${t} s: ${(service.usage().rss / 2 ** 20).toFixed(0)}`);
      await sleep(1000);
    }
    const what = drain
      ? `draining ${events} events (peak ${(peak / 2 ** 20).toFixed(0)})`
      : `taking in ${events} events`;
    console.log(`RSS (MiB) after ${what}: ${marks.join(' · ')}`);
    const sample = atPeak as { rss: number; spaces: Map<string, number> } | null;
    if (sample !== null) {
      const m = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
      const young = (sample.spaces.get('new') ?? 0) + (sample.spaces.get('new_large_object') ?? 0);
      const old = (sample.spaces.get('old') ?? 0) + (sample.spaces.get('large_object') ?? 0);
      const heap = [...sample.spaces.values()].reduce((a, b) => a + b, 0);
      console.log(
        `at the drain's highest sampled RSS, ${m(sample.rss)} MiB: main heap committed ${m(heap)} (young ${m(young)}, ` +
          `old ${m(old)}, code and maps ${m(heap - young - old)}); the rest ${m(sample.rss - heap)} ` +
          '(the store thread, malloc, code and libraries)',
      );
    }
    // The main thread's heap, by space, and its memory outside the heap (prom-client's figures on /metrics).
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const mib = (re: RegExp) => [...text.matchAll(re)].map((m) => `${m[1]} ${(Number(m[2]) / 2 ** 20).toFixed(0)}`);
    const committed = [...heapSpaces(text)].map(([space, bytes]) => `${space} ${(bytes / 2 ** 20).toFixed(0)}`);
    console.log(`main heap committed (MiB): ${committed.join(' · ')}`);
    console.log(
      `main heap used (MiB): ${mib(/^currents_process_nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)$/gm).join(' · ')}`,
    );
    console.log(
      `outside the heap (MiB): ${mib(/^currents_process_nodejs_(external_memory)_bytes (\S+)$/gm).join(' · ')}`,
    );
    // Anonymous memory by mapping size: V8's heap pages and malloc's arenas are told apart only roughly this way.
    const smaps = readFileSync(`/proc/${service.proc.pid}/smaps`, 'utf8');
    const kinds = new Map<string, number>();
    let kind = '';
    for (const line of smaps.split('\n')) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const size = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 2 ** 20;
        kind =
          head[3] !== ''
            ? head[3]!.startsWith('/')
              ? 'files'
              : head[3]!
            : size >= 60
              ? 'anon ≥ 60 MiB (malloc arenas)'
              : 'anon';
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) kinds.set(kind, (kinds.get(kind) ?? 0) + Number(rss[1]) / 1024);
    }
    const list = [...kinds].filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]);
    console.log(`RSS by mapping (MiB): ${list.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' · ')}`);
    // The largest anonymous mappings one by one (size / resident), to tell V8's pages, arenas and typed arrays apart.
    const anon: { size: number; rss: number }[] = [];
    let current: { size: number; rss: number } | null = null;
    for (const line of smaps.split('\n')) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        current = head[3] === '' ? { size: (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 2 ** 20, rss: 0 } : null;
        if (current) anon.push(current);
        continue;
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss && current) current.rss = Number(rss[1]) / 1024;
    }
    const top = anon.sort((a, b) => b.rss - a.rss).slice(0, 12);
    console.log(
      `largest anonymous mappings (size/resident MiB): ${top.map((m) => `${m.size.toFixed(1)}/${m.rss.toFixed(1)}`).join(' · ')}`,
    );
  } finally {
    await teardown(s);
  }
}

/** The main heap's committed bytes by space, from /metrics (prom-client). */
function heapSpaces(metrics: string): Map<string, number> {
  const re = /^currents_process_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm;
  return new Map([...metrics.matchAll(re)].map((m) => [m[1]!, Number(m[2])]));
}

await main();
