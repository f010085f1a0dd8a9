import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { sampleEvent, type SampleOptions } from '../../src/catalog/sample.js';
import { startCli } from '../helpers/process.js';

/**
 * The delivery tests run what a user runs: the built service and the sandbox as child processes over loopback,
 * driven through their HTTP APIs.
 */

export const ADMIN = 'e2e-admin-token-0123456789abcdef';
export const INGEST = 'e2e-ingest-token-0123456789abcdef';

export interface Proc {
  url: string;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM (or SIGKILL) and wait for the exit; resolves the exit code (null when killed by a signal). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
}

export async function startProc(args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const p = await startCli(args, env);
  return {
    url: p.url,
    proc: p.proc,
    output: () => p.stdout() + p.stderr(),
    stop: async (signal = 'SIGTERM') => (await (signal === 'SIGKILL' ? p.kill() : p.stop())).code,
  };
}

export interface Sandbox extends Proc {
  addFeed(key: string, secret: string): Promise<void>;
  faults(patch: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  batches(key?: string): Promise<{ key: string; received_at: number; batch: SandboxBatch }[]>;
  stats(): Promise<{
    batches: { accepted: number; rejected: number; duplicate: number };
    requests: Record<string, number>;
  }>;
}

export interface SandboxBatch {
  source_request_id?: string;
  environment: string;
  user_identities: Record<string, string>;
  device_info?: Record<string, unknown>;
  user_attributes?: Record<string, string>;
  events: {
    event_type: string;
    data: {
      event_name?: string;
      timestamp_unixtime_ms: number;
      source_message_id?: string;
      custom_attributes: Record<string, string>;
    };
  }[];
}

export async function startSandbox(args: string[] = []): Promise<Sandbox> {
  const p = await startProc(['sandbox', '--port', '0', '--rate-limit', 'off', ...args]);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${await res.text()}`);
  };
  return {
    ...p,
    addFeed: (key, secret) => post('/sandbox/feeds', { key, secret }),
    faults: (patch) => post('/sandbox/faults', patch),
    clearFaults: async () => {
      await fetch(`${p.url}/sandbox/faults`, { method: 'DELETE' });
    },
    batches: async (key) => {
      const res = await fetch(`${p.url}/sandbox/batches${key ? `?key=${encodeURIComponent(key)}` : ''}`);
      return (await res.json()) as Awaited<ReturnType<Sandbox['batches']>>;
    },
    stats: async () => (await (await fetch(`${p.url}/sandbox/stats`)).json()) as Awaited<ReturnType<Sandbox['stats']>>,
  };
}

export interface Service extends Proc {
  dataDir: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  push(
    events: unknown[],
  ): Promise<{ status: number; body: { stored: number; duplicates: number[]; quarantined: unknown[] } }>;
  cleanup(): void;
}

/** Settings that make the tests quick: probes, polls and backoff in fractions of a second. */
export const FAST = {
  CURRENTS_PROBE_INTERVAL_MS: '300',
  CURRENTS_IDLE_POLL_MS: '50',
  CURRENTS_MAX_BACKOFF_MS: '400',
  CURRENTS_LOG_LEVEL: 'warn',
};

export async function startService(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<Service> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'currents-e2e-'));
  const p = await startProc(['serve', '--port', '0', '--data', dataDir], {
    CURRENTS_ADMIN_TOKEN: ADMIN,
    CURRENTS_INGEST_TOKEN: INGEST,
    ...FAST,
    ...opts.env,
  });
  const api: Service['api'] = async (method, path, body) => {
    const res = await fetch(`${p.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as never };
  };
  return {
    ...p,
    dataDir,
    api,
    push: async (events) => {
      const res = await fetch(`${p.url}/v1/currents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${INGEST}`,
          'content-type': 'application/json',
          'braze-currents-version': '1',
        },
        body: JSON.stringify({ events }),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Poll until `check` returns something other than undefined/false, or fail with the last state seen. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A flat Currents event of `type` with placeholder values; `user` becomes its external_user_id (null: none). */
export function event(type: string, user: string | null, options: SampleOptions = {}): Record<string, unknown> {
  return sampleEvent(type, { id: randomUUID(), externalUserId: user, ...options });
}

/** Unique feed keys for one test, so its batches can be told apart in a shared sandbox. */
export function feedKeys(prefix: string, slots: readonly string[]): Record<string, { key: string; secret: string }> {
  const tag = randomUUID().slice(0, 8);
  return Object.fromEntries(slots.map((s) => [s, { key: `${prefix}-${s}-${tag}`, secret: `secret-${s}-${tag}` }]));
}

/** Every Currents id the sandbox accepted for these keys, with how many times. */
export async function deliveredIds(sandbox: Sandbox, keys: readonly string[]): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (const key of keys) {
    for (const b of await sandbox.batches(key)) {
      for (const e of b.batch.events) {
        const id = e.data.custom_attributes.source_request_id!;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
  }
  return seen;
}

/**
 * Register the feeds' keys in the sandbox and create an export sending there; `body` adds to or overrides the
 * defaults. Returns the export's id.
 */
export async function createExport(
  service: Service,
  sandbox: Sandbox,
  keys: Record<string, { key: string; secret: string }>,
  body: Record<string, unknown> = {},
): Promise<string> {
  for (const { key, secret } of Object.values(keys)) await sandbox.addFeed(key, secret);
  const res = await service.api<{ id: string; error?: string }>('POST', '/v1/exports', {
    name: 'e2e',
    contact_email: 'data-team@example.com',
    destination: { base_url: sandbox.url },
    feeds: keys,
    ...body,
  });
  if (res.status !== 201) throw new Error(`creating the export answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * A sandbox and a service for the tests of one file: started before them, stopped (and the data folder removed)
 * after. Read `stack.sandbox` and `stack.service` inside the tests.
 */
export function useStack(options: { sandboxArgs?: string[]; env?: Record<string, string> } = {}): {
  sandbox: Sandbox;
  service: Service;
} {
  const stack = {} as { sandbox: Sandbox; service: Service };
  beforeAll(async () => {
    [stack.sandbox, stack.service] = await Promise.all([
      startSandbox(options.sandboxArgs),
      startService({ env: options.env ?? {} }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stack.service?.stop(), stack.sandbox?.stop()]);
    stack.service?.cleanup();
  });
  return stack;
}
