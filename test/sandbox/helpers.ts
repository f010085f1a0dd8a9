import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/server.js';

/** Helpers for sandbox tests: a sandbox on 127.0.0.1:0, requests with Basic auth, and valid batches. */

export const FEED = { key: 'ios-key', secret: 'ios-secret' };

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

export class Clock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
}

export async function sandbox(opts: Partial<SandboxOptions> = {}): Promise<SandboxHandle> {
  return startSandbox({ port: 0, feeds: [FEED], ...opts });
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

export async function call(
  url: string,
  method: string,
  body?: unknown,
  auth: string | null = basic(FEED.key, FEED.secret),
): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

let counter = 0;

/** A batch valid against mParticle's schema: one user, `events` custom events at `timeMs`. */
export function batch(
  opts: { user?: string; events?: number; timeMs?: number; requestId?: string | null; pad?: number } = {},
): Record<string, unknown> {
  counter += 1;
  const requestId = opts.requestId === undefined ? `req-${counter}-${Date.now()}` : opts.requestId;
  const events = Array.from({ length: opts.events ?? 1 }, (_, i) => ({
    event_type: 'custom_event',
    data: {
      event_name: 'Email Sends',
      custom_event_type: 'other',
      timestamp_unixtime_ms: opts.timeMs ?? Date.now(),
      custom_attributes: { source_request_id: `e-${counter}-${i}`, pad: 'x'.repeat(opts.pad ?? 0) },
    },
  }));
  return {
    environment: 'production',
    ...(requestId === null ? {} : { source_request_id: requestId }),
    user_identities: { customer_id: opts.user ?? 'cust-1' },
    events,
  };
}
