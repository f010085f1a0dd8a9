import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nestedEvent } from '../helpers/events.js';
import { assertBuilt, runCli, serve, tempFolder } from '../helpers/process.js';
import { startPushing } from '../helpers/pusher.js';

/**
 * The README's steps as a newcomer types them: `npm start -- --port`, the tokens read from ./data/tokens.json, the
 * curl push (the README's own block, run by bash), and `currents import` while the service runs (needs `npm run
 * build`).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(): Promise<string> {
  const t = await tempFolder('currents-readme-');
  cleanups.push(t.remove);
  return t.dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CURRENTS_')));
}

/** `npm start -- <args>` in the project folder, until it prints where it listens; stopped with its process group. */
async function npmStart(args: string[]): Promise<{ url: string; output: () => string }> {
  const proc = spawn('npm', ['start', '--', ...args], { cwd: ROOT, env: cleanEnv(), detached: true });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(-proc.pid!, 'SIGTERM');
    await exited;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 240 s:\n${out}`)), 240_000);
    const look = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout.on('data', look);
    proc.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
  return { url, output: () => out };
}

/** The README block that follows `marker`, as written. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  expect(at, marker).toBeGreaterThan(-1);
  const start = readme.indexOf('```sh\n', at) + '```sh\n'.length;
  return readme.slice(start, readme.indexOf('```', start));
}

function bash(script: string, cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-eo', 'pipefail', '-c', script], { cwd, env: cleanEnv() }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), out: stdout + stderr }),
    );
  });
}

describe('the README, step by step', { timeout: 300_000 }, () => {
  it('npm start -- --port listens there; the curl push with the token from ./data/tokens.json is stored', async () => {
    const home = await folder();
    const port = await freePort();
    const service = await npmStart(['--port', String(port), '--data', join(home, 'data')]);
    expect(service.url).toBe(`http://127.0.0.1:${port}`);
    expect(service.output()).toMatch(/build is up to date|building:/);

    const tokens = JSON.parse(readFileSync(join(home, 'data', 'tokens.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(tokens).sort()).toEqual(['admin_token', 'ingest_token']);
    const tokenLines = readmeBlock('To use them in a shell');
    const read = await bash(`${tokenLines}\necho "$INGEST_TOKEN $ADMIN_TOKEN"`, home);
    expect(read.out.trim()).toBe(`${tokens.ingest_token} ${tokens.admin_token}`);

    // The README's own push block, pointed at this port, run from the folder holding ./data.
    const push = readmeBlock('Pushing an event by hand').replaceAll('127.0.0.1:7700', `127.0.0.1:${port}`);
    const ran = await bash(push, home);
    expect(ran.code, ran.out).toBe(0);
    expect(ran.out).toContain('"stored":1');
    expect(ran.out).toMatch(/currents_events_accepted_total\{source="default"\} 1/);
  });

  it('currents import runs while the service takes pushes on the same SQLite folder; both keep everything', async () => {
    const data = await folder();
    const files = await folder();
    const token = 'readme-import-ingest-token-0123456789';
    const admin = 'readme-import-admin-token-0123456789';
    const s = await serve(['--port', '0', '--data', data], {
      CURRENTS_INGEST_TOKEN: token,
      CURRENTS_ADMIN_TOKEN: admin,
    });
    cleanups.push(() => s.stop());
    const imported = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify(nestedEvent('users.messages.email.Send', { id: `imported-${i}` })),
    );
    writeFileSync(join(files, 'dump.ndjson'), `${imported.join('\n')}\n`);

    const pusher = startPushing({ url: s.url, token, connections: 4, prefix: 'pushed' });
    const importStart = Date.now();
    const run = await runCli(['import', files, '--data', data, '--chunk-size', '500']);
    const importEnd = Date.now();
    await pusher.stop();
    // Pushes were answered while the import wrote: the two really ran side by side.
    const during = pusher.outcomes.filter((o) => o.endedAt > importStart && o.endedAt < importEnd);
    expect(during.length).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('stored: 20,000, duplicates (already stored): 0');
    const failed = pusher.outcomes.filter((o) => o.status !== 200);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    expect(pusher.answered2xx()).toBeGreaterThan(0);

    // The running service sees what the import wrote, and both kinds of events are in its log.
    const total = await fetch(`${s.url}/metrics`).then((r) => r.text());
    const logged = Number(/^currents_log_events (\d+)/m.exec(total)?.[1]);
    expect(logged).toBe(20_000 + pusher.acknowledged().length);
    const traced = await fetch(`${s.url}/v1/events/imported-19999`, { headers: { authorization: `Bearer ${admin}` } });
    expect(traced.status).toBe(200);
  });
});
