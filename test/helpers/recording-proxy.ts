import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy that notes every request it forwards: when it came, its path, the feed key of its Basic
 * auth, its body and the status it got. Put between the service and the sandbox, it shows what the service sent and
 * when, which the sandbox's counters cannot (a probe is a request whose body is `[]`).
 */

export interface Recorded {
  at: number;
  method: string;
  path: string;
  key: string | null;
  body: string;
  status: number | null;
}

export interface RecordingProxy {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

function keyOf(headers: IncomingHttpHeaders): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
  if (match === null) return null;
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? text.slice(0, colon) : null;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: Recorded = {
        at: Date.now(),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        key: keyOf(req.headers),
        body: body.toString('utf8'),
        status: null,
      };
      requests.push(entry);
      const headers = { ...req.headers, host: to.host };
      const upstream = httpRequest(
        { hostname: to.hostname, port: to.port, method: req.method, path: req.url, headers },
        (answer) => {
          entry.status = answer.statusCode ?? null;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
