import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A stand-in for Google Cloud Storage's JSON API, written for these tests because no GCS server is published in the
 * registries this project may use. It answers only the two calls the client library makes for the pollers: the object
 * list (`GET /storage/v1/b/<bucket>/o` with prefix, startOffset, maxResults, pageToken) and the media download
 * (`GET /storage/v1/b/<bucket>/o/<name>?alt=media[&generation=]`), in the shapes and with the errors Google documents;
 * anything else is answered 501 and recorded in `unexpected`, so a test fails if the client starts calling more.
 * Buckets named in `forbidden` answer 403 as Google does to a key without access.
 */

interface Stored {
  body: Buffer;
  generation: number;
  updated: Date;
}

export interface GcsStandIn {
  endpoint: string;
  put(bucket: string, name: string, body: Buffer): void;
  createBucket(bucket: string): void;
  forbidden: Set<string>;
  unexpected: string[];
  /** Requests answered, as `METHOD path` (query left out). */
  requests: string[];
  stop(): Promise<void>;
}

const error = (res: ServerResponse, code: number, message: string, reason: string) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } }));
};

export async function startGcsStandIn(): Promise<GcsStandIn> {
  const buckets = new Map<string, Map<string, Stored>>();
  const forbidden = new Set<string>();
  const unexpected: string[] = [];
  const requests: string[] = [];
  let generation = 1_700_000_000_000_000;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    requests.push(`${req.method} ${url.pathname}`);
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const get = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    const bucketName = decodeURIComponent((list ?? get)?.[1] ?? '');
    if (req.method !== 'GET' || (list === null && (get === null || url.searchParams.get('alt') !== 'media'))) {
      unexpected.push(`${req.method} ${req.url}`);
      return error(res, 501, 'not part of the stand-in', 'notImplemented');
    }
    if (forbidden.has(bucketName)) {
      return error(
        res,
        403,
        `standin@example.iam.gserviceaccount.com does not have storage.objects.list access to the Google Cloud Storage bucket.`,
        'forbidden',
      );
    }
    const bucket = buckets.get(bucketName);
    if (bucket === undefined) return error(res, 404, 'The specified bucket does not exist.', 'notFound');
    if (list !== null) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const startOffset = url.searchParams.get('startOffset') ?? '';
      const after = url.searchParams.get('pageToken');
      const max = Math.min(1000, Number(url.searchParams.get('maxResults') ?? 1000));
      const names = [...bucket.keys()]
        .filter((n) => n.startsWith(prefix) && n >= startOffset && (after === null || n > after))
        .sort();
      const page = names.slice(0, max);
      const items = page.map((name) => {
        const o = bucket.get(name)!;
        return {
          kind: 'storage#object',
          name,
          bucket: bucketName,
          size: String(o.body.length),
          generation: String(o.generation),
          updated: o.updated.toISOString(),
        };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'storage#objects',
          items,
          ...(names.length > max ? { nextPageToken: page.at(-1) } : {}),
        }),
      );
      return;
    }
    const name = decodeURIComponent(get![2]!);
    const object = bucket.get(name);
    const wanted = url.searchParams.get('generation');
    if (object === undefined || (wanted !== null && Number(wanted) !== object.generation)) {
      return error(res, 404, `No such object: ${bucketName}/${name}`, 'notFound');
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(object.body.length),
      'x-goog-generation': String(object.generation),
    });
    res.end(object.body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    createBucket: (bucket) => void buckets.set(bucket, buckets.get(bucket) ?? new Map()),
    put: (bucket, name, body) =>
      void buckets.get(bucket)!.set(name, { body, generation: ++generation, updated: new Date() }),
    forbidden,
    unexpected,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
