import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBatches } from '../../src/mparticle/batches.js';
import { createClient } from '../../src/mparticle/client.js';
import { packRequests } from '../../src/mparticle/pack.js';
import { makeEvent } from '../mparticle/fixtures.js';
import { basic, batch, call } from './helpers.js';

/** The sandbox as users run it: `node dist/src/cli/main.js sandbox ...` (run `npm run build` first). */
const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

let child: ChildProcess | undefined;
afterEach(() => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
}

/** Start the command and wait for its "sandbox listening on <url>" line. */
async function startCli(args: string[]): Promise<{ url: string; proc: ChildProcess; stderr: () => string }> {
  expect(existsSync(MAIN), `${MAIN} is missing: run npm run build first`).toBe(true);
  const proc = spawn(process.execPath, [MAIN, 'sandbox', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 20_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^sandbox listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${stderr}`));
    });
  });
  return { url, proc, stderr: () => stderr };
}

describe('currents sandbox (child process)', () => {
  it('serves feeds from flags, rate-limits, takes what the product sends, and stops on SIGTERM', async () => {
    const { url, proc } = await startCli(['--port', '0', '--feed', 'ios-key:ios:secret', '--rate-limit', '150']);

    expect((await call(`${url}/v2/bulkevents`, 'POST', [], null)).status).toBe(401);
    expect((await call(`${url}/v2/bulkevents`, 'POST', [], basic('ios-key', 'wrong'))).status).toBe(403);
    // A secret may hold ':'; only the first one separates it from the key.
    const auth = basic('ios-key', 'ios:secret');
    expect((await call(`${url}/v2/bulkevents`, 'POST', [], auth)).status).toBe(202);

    // The product's own path: map, batch, pack, send.
    const now = Date.now();
    const rows = Array.from({ length: 120 }, (_, i) => ({
      seq: i + 1,
      event: makeEvent('users.messages.email.Send', { externalUserId: `user-${i}`, time: Math.floor(now / 1000) }),
    }));
    const { batches } = buildBatches(rows, {
      settings: { environment: 'development', identity: 'customer_id', eventNames: {} },
      merge: true,
      feedId: 'ios',
      generation: 0,
      now,
    });
    const requests = packRequests(batches);
    expect(requests.map((r) => r.batches.length)).toEqual([100, 20]);
    const client = createClient({ baseUrl: url });
    try {
      const first = await client.send(requests[0]!.path, requests[0]!.body, { key: 'ios-key', secret: 'ios:secret' });
      expect(first).toMatchObject({ kind: 'ok', status: 202, rateLimitPercentUsed: expect.any(Number) });
      // 100 of 150 batches used in this second: another 100 soon meets the limit.
      const creds = { key: 'ios-key', secret: 'ios:secret' };
      let limited = null;
      for (let i = 0; i < 5 && limited === null; i += 1) {
        const outcome = await client.send(
          '/v2/bulkevents',
          JSON.stringify(Array.from({ length: 100 }, () => batch())),
          creds,
        );
        if (outcome.kind === 'rate_limited') limited = outcome;
      }
      expect(limited).toMatchObject({ kind: 'rate_limited', retryAfterMs: 1000, scope: expect.any(String) });
    } finally {
      await client.close();
    }

    const stats = (await call(`${url}/sandbox/stats`, 'GET')).json() as {
      batches: { accepted: number; rejected: number };
    };
    expect(stats.batches.rejected).toBe(0);
    expect(stats.batches.accepted).toBeGreaterThanOrEqual(100);

    proc.kill('SIGTERM');
    expect(await exited(proc)).toBe(0);
  });

  it('turns the rate limit off with --rate-limit off and caps the store with --store-limit', async () => {
    const { url, proc } = await startCli([
      '--port',
      '0',
      '--feed',
      'k:s',
      '--rate-limit',
      'off',
      '--store-limit',
      '50',
    ]);
    for (let i = 0; i < 4; i += 1) {
      const reply = await call(
        `${url}/v2/bulkevents`,
        'POST',
        Array.from({ length: 100 }, () => batch()),
        basic('k', 's'),
      );
      expect(reply.status).toBe(202);
      expect(reply.headers.get('x-mp-rate-limit-percentage-used')).toBe('0');
    }
    expect((await call(`${url}/sandbox/batches`, 'GET')).json()).toHaveLength(50);
    const stats = (await call(`${url}/sandbox/stats`, 'GET')).json() as { batches: { accepted: number } };
    expect(stats.batches.accepted).toBe(400);
    proc.kill('SIGINT');
    expect(await exited(proc)).toBe(0);
  });

  it('refuses a malformed flag with a message saying what to give', async () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run npm run build first`).toBe(true);
    const proc = spawn(process.execPath, [MAIN, 'sandbox', '--feed', 'no-secret-here'], { stdio: 'pipe' });
    child = proc;
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(proc)).not.toBe(0);
    expect(stderr).toMatch(/KEY:SECRET/);
  });
});
