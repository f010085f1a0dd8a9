import { Storage, type File, type StorageOptions } from '@google-cloud/storage';
import { BucketError, detailOf, networkCode, say, type Bucket, type BucketObject } from './bucket.js';
import { firstChunk } from './stream.js';

/** Google Cloud Storage through @google-cloud/storage (its JSON API). */

export interface GcsSettings {
  bucket: string;
  /** A service account key file's content; null: Application Default Credentials (none with an api endpoint). */
  credentialsJson: string | null;
  /** Another JSON API endpoint (an emulator, a proxy); null: Google's. */
  apiEndpoint: string | null;
}

interface ApiErrorLike {
  code?: number | string;
  message?: string;
  errors?: { reason?: string }[];
}

export function classifyGcs(e: unknown, s: GcsSettings, key?: string): BucketError {
  const where = `gs://${s.bucket}`;
  const err = e as ApiErrorLike;
  const status = typeof err.code === 'number' ? err.code : undefined;
  const message = err.message ?? '';
  if (status === 404 && key === undefined) {
    return new BucketError('no_bucket', `the bucket ${s.bucket} does not exist: check the source's bucket name`, {
      cause: e,
    });
  }
  if (key !== undefined && (status === 404 || status === 412)) {
    return new BucketError('gone', say.gone(where, key), { cause: e });
  }
  if (status === 401 || status === 403 || /Could not load the default credentials|invalid_grant/.test(message)) {
    return new BucketError(
      'access_denied',
      `access to ${where} was denied (${status ?? detailOf(e)}): check the source's service account key ` +
        '(credentials_json) and that it may list and read objects (roles/storage.objectViewer on the bucket)',
      { cause: e },
    );
  }
  if (status === 429 || status === 503) return new BucketError('throttled', say.throttled(where, e), { cause: e });
  if (networkCode(e) !== null) {
    return new BucketError('unreachable', say.unreachable(where, s.apiEndpoint ?? 'storage.googleapis.com', e), {
      cause: e,
    });
  }
  return new BucketError('other', say.other(where, e), { cause: e });
}

export function openGcs(s: GcsSettings): Bucket {
  const options: StorageOptions = { retryOptions: { maxRetries: 1 } };
  if (s.apiEndpoint !== null) {
    options.apiEndpoint = s.apiEndpoint;
    // To another endpoint (an emulator) requests go without a token unless a key is given (a proxy to Google's).
    options.useAuthWithCustomEndpoint = s.credentialsJson !== null;
  }
  if (s.credentialsJson !== null) {
    const key = JSON.parse(s.credentialsJson) as { client_email?: string; private_key?: string; project_id?: string };
    options.credentials = { client_email: key.client_email, private_key: key.private_key };
    if (key.project_id !== undefined) options.projectId = key.project_id;
  }
  const bucket = new Storage(options).bucket(s.bucket);
  return {
    where: `gs://${s.bucket}`,
    async *list(prefix, after, pageSize) {
      let pageToken: string | undefined;
      do {
        let files: File[];
        let next: { pageToken?: string } | null;
        try {
          // startOffset includes the key itself: it is left out below.
          [files, next] = (await bucket.getFiles({
            prefix,
            maxResults: pageSize,
            autoPaginate: false,
            ...(pageToken !== undefined ? { pageToken } : {}),
            ...(after !== null ? { startOffset: after } : {}),
          })) as unknown as [File[], { pageToken?: string } | null];
        } catch (e) {
          throw classifyGcs(e, s);
        }
        const objects: BucketObject[] = files
          .filter((f) => f.name !== after)
          .map((f) => ({
            key: f.name,
            size: Number(f.metadata.size ?? 0),
            etag: String(f.metadata.generation ?? ''),
            modifiedAt: f.metadata.updated === undefined ? null : Date.parse(String(f.metadata.updated)),
          }));
        if (objects.length > 0) yield objects;
        pageToken = next?.pageToken;
      } while (pageToken !== undefined);
    },
    async read(object) {
      const file = bucket.file(object.key, object.etag !== '' ? { generation: Number(object.etag) } : {});
      // The request starts with the stream: its first answer (a 404 for a replaced generation) comes as the first
      // chunk or an error, so it is awaited here to be told apart from a download cut later.
      try {
        return await firstChunk(file.createReadStream());
      } catch (e) {
        throw classifyGcs(e, s, object.key);
      }
    },
    close: () => undefined,
  };
}
