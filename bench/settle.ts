import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { arg, machine, MAIN, sleep, startProcess } from './lib.js';
import { ADMIN, createExport, INGEST, pushAll, setUsers } from './traffic.js';

/**
 * RSS of the service over time after it takes in a backlog (export paused), to tell memory it holds from memory V8
 * has not yet given back: `node dist/bench/settle.js [--events 1000000] [--seconds 30]`. Node flags for the service
 * from BENCH_NODE_FLAGS (besides `--max-semi-space-size=64`, as `npm start` runs it).
 */
async function main(): Promise<void> {
  const events = arg('events', 1_000_000);
  const seconds = arg('seconds', 30);
  setUsers(arg('users', 50_000));
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const dir = mkdtempSync(join(tmpdir(), 'currents-bench-settle-'));
  const service = await startProcess(
    ['--max-semi-space-size=64', ...flags, MAIN, 'serve', '--port', '0', '--data', join(dir, 'data')],
    { CURRENTS_ADMIN_TOKEN: ADMIN, CURRENTS_INGEST_TOKEN: INGEST },
  );
  const pool = new Pool(service.url, { connections: 16, pipelining: 1 });
  try {
    console.log(`machine: ${machine()}; ${events} events; flags: ${flags.join(' ') || '(none)'}`);
    console.log(`idle, fresh: ${(service.usage().rss / 2 ** 20).toFixed(0)} MiB`);
    await createExport(service, 'http://127.0.0.1:9', { paused: true });
    await pushAll(pool, events);
    const marks: string[] = [];
    for (let s = 0; s <= seconds; s++) {
      if (s === 1 || s % 5 === 0) marks.push(`${s} s: ${(service.usage().rss / 2 ** 20).toFixed(0)}`);
      await sleep(1000);
    }
    console.log(`RSS (MiB) after taking in ${events} events: ${marks.join(' · ')}`);
    // The main thread's heap, by space, and its memory outside the heap (prom-client's figures on /metrics).
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const mib = (re: RegExp) => [...text.matchAll(re)].map((m) => `${m[1]} ${(Number(m[2]) / 2 ** 20).toFixed(0)}`);
    console.log(
      `main heap committed (MiB): ${mib(/^currents_process_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)$/gm).join(' · ')}`,
    );
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
    await pool.close();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
