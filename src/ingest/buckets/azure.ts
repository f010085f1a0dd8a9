import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { BucketError, detailOf, networkCode, say, type Bucket, type BucketObject } from './bucket.js';

/**
 * Azure Blob Storage through @azure/storage-blob. Its listing has no "start after a key": `list` walks down the
 * folders (delimiter listings) to where `after` lies and lists flat from there, so a poll never lists the hours it has
 * passed, only their folder names.
 */

export interface AzureSettings {
  container: string;
  connectionString: string;
}

interface RestLike {
  name?: string;
  code?: string;
  statusCode?: number;
}

export function classifyAzure(e: unknown, where: string, endpoint: string, key?: string): BucketError {
  const err = e as RestLike;
  const code = err.code ?? '';
  const status = err.statusCode;
  if (code === 'ContainerNotFound') {
    return new BucketError(
      'no_bucket',
      `the container of ${where} does not exist: check the source's container name and connection string (account)`,
      { cause: e },
    );
  }
  if (
    key !== undefined &&
    (code === 'BlobNotFound' || code === 'ConditionNotMet' || status === 404 || status === 412)
  ) {
    return new BucketError('gone', say.gone(where, key), { cause: e });
  }
  if (status === 401 || status === 403 || /^Authentication|^Authorization|InsufficientAccountPermissions/.test(code)) {
    return new BucketError(
      'access_denied',
      `access to ${where} was denied (${code || status}): check the source's connection string (its account key or ` +
        'SAS token, and that it may list and read blobs of the container)',
      { cause: e },
    );
  }
  if (status === 503 || status === 429 || code === 'ServerBusy') {
    return new BucketError('throttled', say.throttled(where, e), { cause: e });
  }
  if (networkCode(e) !== null || code === 'REQUEST_SEND_ERROR' || err.name === 'AbortError') {
    return new BucketError('unreachable', say.unreachable(where, endpoint, e), { cause: e });
  }
  return new BucketError('other', say.other(where, `${code || status || ''} ${detailOf(e)}`.trim()), { cause: e });
}

export function openAzure(s: AzureSettings): Bucket {
  let container: ContainerClient;
  try {
    const service = BlobServiceClient.fromConnectionString(s.connectionString, {
      retryOptions: { maxTries: 2, tryTimeoutInMs: 60_000 },
    });
    container = service.getContainerClient(s.container);
  } catch (e) {
    throw new BucketError(
      'access_denied',
      `the connection string of container ${s.container} cannot be used (${detailOf(e)}): give the storage account's ` +
        'connection string ("DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...")',
      { cause: e },
    );
  }
  const where = `azure://${container.accountName}/${s.container}`;
  const endpoint = new URL(container.url).host;
  const fail = (e: unknown, key?: string) => classifyAzure(e, where, endpoint, key);

  /** Every blob under `prefix`, a page at a time. */
  async function* flat(prefix: string, pageSize: number): AsyncGenerator<BucketObject[]> {
    const pages = container.listBlobsFlat({ prefix }).byPage({ maxPageSize: pageSize });
    for (;;) {
      let page;
      try {
        page = await pages.next();
      } catch (e) {
        throw fail(e);
      }
      if (page.done === true) return;
      const objects = page.value.segment.blobItems.map(toObject);
      if (objects.length > 0) yield objects;
    }
  }

  /** Blobs under `prefix` after `after` (which lies under prefix), in key order, walking down one folder level. */
  async function* after(prefix: string, key: string, pageSize: number): AsyncGenerator<BucketObject[]> {
    const pages = container.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: pageSize });
    for (;;) {
      let page;
      try {
        page = await pages.next();
      } catch (e) {
        throw fail(e);
      }
      if (page.done === true) return;
      const entries: ({ folder: string } | { object: BucketObject })[] = [
        ...(page.value.segment.blobPrefixes ?? []).map((p) => ({ folder: p.name })),
        ...page.value.segment.blobItems.map((b) => ({ object: toObject(b) })),
      ].sort((a, b) => {
        const x = 'folder' in a ? a.folder : a.object.key;
        const y = 'folder' in b ? b.folder : b.object.key;
        return x < y ? -1 : x > y ? 1 : 0;
      });
      for (const entry of entries) {
        if ('object' in entry) {
          if (entry.object.key > key) yield [entry.object];
        } else if (key.startsWith(entry.folder)) {
          yield* after(entry.folder, key, pageSize);
        } else if (entry.folder > key) {
          yield* flat(entry.folder, pageSize);
        }
        // Else the whole folder sorts before `key`: passed without listing it.
      }
    }
  }

  return {
    where,
    async *list(prefix, from, pageSize) {
      if (from === null || from < prefix) {
        // Every key under the prefix sorts after `from`.
        yield* flat(prefix, pageSize);
        return;
      }
      // Else, unless `from` lies under the prefix, every key under it sorts before `from`: nothing to list.
      if (!from.startsWith(prefix)) return;
      // Gathered into pages again: the walk yields a blob at a time.
      let page: BucketObject[] = [];
      for await (const objects of after(prefix, from, pageSize)) {
        page.push(...objects);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    async read(object) {
      try {
        const got = await container
          .getBlobClient(object.key)
          .download(0, undefined, object.etag !== '' ? { conditions: { ifMatch: object.etag } } : {});
        return got.readableStreamBody as AsyncIterable<Uint8Array>;
      } catch (e) {
        throw fail(e, object.key);
      }
    },
    close: () => undefined,
  };
}

function toObject(b: {
  name: string;
  properties: { contentLength?: number; etag?: string; lastModified?: Date };
}): BucketObject {
  return {
    key: b.name,
    size: b.properties.contentLength ?? 0,
    etag: b.properties.etag ?? '',
    modifiedAt: b.properties.lastModified?.getTime() ?? null,
  };
}
