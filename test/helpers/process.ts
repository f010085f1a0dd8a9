import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built CLI as a user runs it: `node dist/src/cli/main.js <args>` as a child process. Run `npm run build` first.
 */

export const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
}

/** The environment of a child: this one without any CURRENTS_* setting or DATABASE_URL, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CURRENTS_') && k !== 'DATABASE_URL'),
  );
  return { ...clean, ...env };
}

export async function tempFolder(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Served {
  url: string;
  proc: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Lines of stdout that parse as JSON objects (the structured log). */
  logLines(): Record<string, unknown>[];
  exited: Promise<Exit>;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<Exit>;
  kill(): Promise<Exit>;
}

/** Start `main.js serve <args>` and wait for its "listening on <url>" line. */
export function serve(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Served> {
  return startCli(['serve', ...args], env, cwd);
}

/** Start `main.js <args>` (serve, sandbox) and wait for its "listening on <url>" line. */
export async function startCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Served> {
  assertBuilt();
  const name = args[0] ?? 'currents';
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within 20 s:\n${out}\n${err}`));
    }, 20_000);
    const look = () => {
      const match = /listening on (https?:\/\/[^\s]+)/.exec(out);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        proc.stdout!.off('data', look);
        resolve(match[1]);
      }
    };
    proc.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${out}\n${err}`));
    });
  });
  const ended = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    url,
    proc,
    stdout: () => out,
    stderr: () => err,
    logLines: () => jsonLines(out),
    exited,
    stop: async (graceMs = 20_000) => {
      if (!ended()) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    kill: async () => {
      if (!ended()) proc.kill('SIGKILL');
      return exited;
    },
  };
}

export function jsonLines(text: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A partial last line while the process still writes.
    }
  }
  return lines;
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `main.js <args>` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Ran> {
  assertBuilt();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: childEnv(env), maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
