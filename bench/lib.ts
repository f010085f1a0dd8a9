import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** What the benchmarks share: the built CLI as child processes, and figures printed the same way. */

export const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** Resident memory (bytes) and CPU seconds used so far, from /proc. */
  usage(): { rss: number; cpuSeconds: number };
}

export async function startChild(args: string[], env: Record<string, string> = {}): Promise<Child> {
  // As `npm start` runs it (see the shebang of src/cli/main.ts). BENCH_NODE_FLAGS adds flags, e.g. `--cpu-prof`.
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  return startProcess(['--max-semi-space-size=64', ...extra, MAIN, ...args], env);
}

/** Any Node process that prints `listening on http://127.0.0.1:PORT` once it serves (node's own arguments first). */
export async function startProcess(nodeArgs: string[], env: Record<string, string> = {}): Promise<Child> {
  const args = nodeArgs.slice(nodeArgs.findIndex((a) => !a.startsWith('--')) + 1);
  const proc = spawn(process.execPath, nodeArgs, {
    env: { ...process.env, CURRENTS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  // BENCH_STDOUT=FILE: each child's stdout (V8's --trace-gc, say) is also appended to FILE.
  const tee = process.env.BENCH_STDOUT;
  if (tee !== undefined) proc.stdout?.on('data', (c: Buffer) => appendFileSync(tee, c));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${out}`)), 30_000);
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}:\n${out}`)));
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url,
    proc,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
    usage: () => processUsage(proc.pid!),
  };
}

export function processUsage(pid: number): { rss: number; cpuSeconds: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rss: rssKb * 1024, cpuSeconds: ticks / 100 };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
