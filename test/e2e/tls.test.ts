import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { batch } from '../helpers/events.js';
import { serve, tempFolder, type Served } from '../helpers/process.js';

/**
 * HTTPS served by the service itself, with certificates this test makes (openssl): a push from a client that
 * checks the certificate is stored; after the files are replaced and SIGHUP is sent, a new connection gets the new
 * certificate while a keep-alive connection opened before keeps working; a broken pair on reload keeps the last one.
 */

const ADMIN = 'tls-admin-token-0123456789abcdef';
const INGEST = 'tls-ingest-token-0123456789abcdef';

let dir: string;
let remove: () => Promise<void>;
let service: Served;
const certs: Record<'first' | 'second', { cert: string; key: string }> = {
  first: { cert: '', key: '' },
  second: { cert: '', key: '' },
};

/** A self-signed certificate for 127.0.0.1 whose subject says which one it is. */
function makeCert(name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}.currents.test`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  return { cert: execFileSync('cat', [cert]).toString(), key: execFileSync('cat', [key]).toString() };
}

interface Answer {
  status: number;
  body: string;
  /** The CN of the certificate the server presented on this request's connection. */
  cn: string;
  reused: boolean;
}

function call(agent: Agent, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const url = new URL(path, service.url);
  const options: RequestOptions = {
    method,
    agent,
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json', 'braze-currents-version': '1' } : {}),
    },
  };
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      // Read now: once the body is read, a keep-alive socket goes back to the agent and leaves the response.
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN);
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, cn, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const trusting = (keepAlive: boolean) =>
  new Agent({ keepAlive, maxSockets: 1, ca: [certs.first.cert, certs.second.cert] });

async function sighupAndWait(message: string, count: number): Promise<void> {
  service.proc.kill('SIGHUP');
  const deadline = Date.now() + 10_000;
  while (service.logLines().filter((l) => String(l.msg).startsWith(message)).length < count) {
    if (Date.now() > deadline) throw new Error(`no "${message}" in the log after SIGHUP:\n${service.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('TLS without a proxy', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    ({ dir, remove } = await tempFolder('currents-tls-'));
    certs.first = makeCert('first');
    certs.second = makeCert('second');
    writeFileSync(join(dir, 'live.crt'), certs.first.cert);
    writeFileSync(join(dir, 'live.key'), certs.first.key);
    service = await serve(
      [
        '--port',
        '0',
        '--data',
        join(dir, 'data'),
        '--tls-cert',
        join(dir, 'live.crt'),
        '--tls-key',
        join(dir, 'live.key'),
      ],
      { CURRENTS_ADMIN_TOKEN: ADMIN, CURRENTS_INGEST_TOKEN: INGEST, CURRENTS_LOG_LEVEL: 'info' },
    );
  });
  afterAll(async () => {
    await service?.stop();
    await remove?.();
  });

  it('serves HTTPS, takes a push, and renews its certificate on SIGHUP without dropping an open connection', async () => {
    expect(service.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const kept = trusting(true);
    const pushed = await call(kept, 'POST', '/v1/currents', INGEST, { events: batch(3) });
    expect(pushed.status, pushed.body).toBe(200);
    expect(JSON.parse(pushed.body)).toMatchObject({ stored: 3 });
    expect(pushed.cn).toBe('first.currents.test');

    // A client that does not trust the certificate is refused by its own TLS check: it is real HTTPS.
    await expect(call(new Agent({ maxSockets: 1 }), 'GET', '/healthz', ADMIN)).rejects.toThrow(
      /self-signed|certificate/,
    );

    writeFileSync(join(dir, 'live.crt'), certs.second.cert);
    writeFileSync(join(dir, 'live.key'), certs.second.key);
    await sighupAndWait('reloaded the TLS certificate', 1);

    const onOld = await call(kept, 'GET', '/v1/exports', ADMIN);
    expect(onOld).toMatchObject({ status: 200, reused: true, cn: 'first.currents.test' });
    const fresh = await call(trusting(false), 'GET', '/v1/exports', ADMIN);
    expect(fresh).toMatchObject({ status: 200, reused: false, cn: 'second.currents.test' });

    // A broken pair (the first certificate with the second key) is refused; the second one stays.
    writeFileSync(join(dir, 'live.crt'), certs.first.cert);
    await sighupAndWait('TLS reload failed', 1);
    const failure = service.logLines().find((l) => String(l.msg).startsWith('TLS reload failed'))!;
    expect(JSON.stringify(failure)).toContain('cannot be used together');
    expect((await call(trusting(false), 'GET', '/healthz', ADMIN)).cn).toBe('second.currents.test');
    expect(service.proc.exitCode).toBeNull();
    kept.destroy();
  });

  it('will not start with a certificate it cannot use, and says which file to fix', async () => {
    await expect(
      serve(
        [
          '--port',
          '0',
          '--data',
          join(dir, 'data2'),
          '--tls-cert',
          join(dir, 'missing.crt'),
          '--tls-key',
          join(dir, 'live.key'),
        ],
        {
          CURRENTS_ADMIN_TOKEN: ADMIN,
          CURRENTS_INGEST_TOKEN: INGEST,
        },
      ),
    ).rejects.toThrow(/cannot read the TLS certificate .*missing\.crt .*check --tls-cert/);
  });

  it('asks for both files, or neither', () => {
    expect(() => loadConfig({ tlsCert: join(dir, 'live.crt') }, {})).toThrow(
      /give both, the certificate chain and its private key/,
    );
    expect(loadConfig({}, { CURRENTS_TLS_CERT: 'a.crt', CURRENTS_TLS_KEY: 'a.key' }).tls).toMatchObject({
      certFile: expect.stringMatching(/a\.crt$/),
      keyFile: expect.stringMatching(/a\.key$/),
    });
  });
});
