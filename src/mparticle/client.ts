import { Pool } from 'undici';
import type { Destination, Pod } from '../types.js';
import { classifyError, classifyResponse, type MpOutcome } from './errors.js';

/** Events API hosts by pod; requests add `/v2/...`. */
export const POD_HOSTS: Readonly<Record<Pod, string>> = Object.freeze({
  US1: 'https://s2s.mparticle.com',
  US2: 'https://s2s.us2.mparticle.com',
  EU1: 'https://s2s.eu1.mparticle.com',
  AU1: 'https://s2s.au1.mparticle.com',
});

/**
 * The base URL requests go to. A configured base URL may carry a path prefix (a proxy); a trailing `/v2` is dropped
 * because request paths start with `/v2`.
 */
export function baseUrlOf(destination: Destination): string {
  if ('pod' in destination) return POD_HOSTS[destination.pod];
  return destination.base_url.replace(/\/+$/, '').replace(/\/v2$/, '');
}

export interface Credentials {
  key: string;
  secret: string;
}

export interface ClientOptions {
  baseUrl: string;
  /** Deadline for one call, from sending to the end of the answer (default 30 s). */
  timeoutMs?: number;
  /** Keep-alive connections to the host (default 4). */
  connections?: number;
}

export interface MpClient {
  /**
   * POST a body; the answer (or the failure) comes back classified, never thrown. `signal` cuts the call off (it
   * then comes back as a network failure: mParticle may or may not have the body).
   */
  send(path: string, body: string | Uint8Array, creds: Credentials, signal?: AbortSignal): Promise<MpOutcome>;
  /** POST an empty array to /v2/bulkevents: checks the credentials without sending data. */
  probe(creds: Credentials): Promise<MpOutcome>;
  close(): Promise<void>;
}

function basicAuth(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.key}:${creds.secret}`, 'utf8').toString('base64')}`;
}

/** An HTTP client for one Events API host, on an undici Pool that keeps connections alive between calls. */
export function createClient(opts: ClientOptions): MpClient {
  const url = new URL(opts.baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const pool = new Pool(url.origin, {
    connections: opts.connections ?? 4,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, 10_000),
    keepAliveTimeout: 30_000,
  });

  async function send(
    path: string,
    body: string | Uint8Array,
    creds: Credentials,
    signal?: AbortSignal,
  ): Promise<MpOutcome> {
    try {
      const res = await pool.request({
        method: 'POST',
        path: `${prefix}${path}`,
        headers: {
          authorization: basicAuth(creds),
          'content-type': 'application/json',
          'user-agent': 'currents-mparticle',
        },
        body,
        signal:
          signal === undefined
            ? AbortSignal.timeout(timeoutMs)
            : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      const text = await res.body.text();
      return classifyResponse(res.statusCode, res.headers, text);
    } catch (e) {
      return classifyError(e);
    }
  }

  return {
    send,
    probe: (creds) => send('/v2/bulkevents', '[]', creds),
    close: () => pool.close(),
  };
}
