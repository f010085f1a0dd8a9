/**
 * A bucket as the pollers see it, whatever the cloud: objects listed under a prefix in key order (from after a key),
 * and an object's bytes as they download. The adapters (`s3.ts`, `azure.ts`, `gcs.ts`) turn every failure of their
 * SDK into one BucketError, whose message says what to do.
 */

export interface BucketObject {
  key: string;
  size: number;
  /** S3 and Azure: the ETag; GCS: the generation. A replaced object has a new one. */
  etag: string;
  /** When it was written, ms; null when the listing does not say. */
  modifiedAt: number | null;
}

export interface Bucket {
  /** `s3://bucket`, `azure://account/container`, `gs://bucket`: how messages and quarantine name its objects. */
  readonly where: string;
  /**
   * Objects under `prefix` whose key sorts after `after` (all of them when null), in key order, a page at a time
   * (`pageSize` at most). Stopping the iteration stops the listing.
   */
  list(prefix: string, after: string | null, pageSize: number): AsyncIterable<BucketObject[]>;
  /** The object's bytes as they download; fails with BucketError `gone` when it was deleted or replaced meanwhile. */
  read(object: BucketObject): Promise<AsyncIterable<Uint8Array>>;
  close(): void;
}

/**
 * What went wrong, as the poller acts on it: `gone` skips the object (it is listed again if it comes back); the others
 * stop the poll and are retried with backoff, the message in the source's status.
 */
export type BucketProblem = 'access_denied' | 'no_bucket' | 'gone' | 'unreachable' | 'throttled' | 'other';

export class BucketError extends Error {
  override readonly name = 'BucketError';

  constructor(
    readonly problem: BucketProblem,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

/** Network failures Node reports by code: the endpoint cannot be reached or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** The network code of an error or of one of its causes, if any. */
export function networkCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur !== null && cur !== undefined && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) if (networkCode(inner)) return networkCode(inner);
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** Secrets an SDK's message might echo (a SAS signature in a URL, an account key): never shown or logged. */
const SECRETS = /\b(sig|AccountKey|SharedAccessSignature|X-Amz-Signature|X-Amz-Credential|access_token)=[^&;\s"']+/gi;

/** An error's message, short and without secrets, for statuses and logs. */
export const detailOf = (e: unknown): string =>
  (e instanceof Error ? e.message || e.name : String(e)).replace(SECRETS, '$1=(hidden)').slice(0, 300);

/** The sentences shared by the adapters; each adds what its cloud calls the permissions and settings. */
export const say = {
  unreachable: (where: string, endpoint: string, e: unknown) =>
    `cannot reach ${endpoint} for ${where} (${networkCode(e) ?? detailOf(e)}): check the endpoint setting and the ` +
    'network between this service and the storage; retrying with backoff',
  throttled: (where: string, e: unknown) => `${where} is slowing requests down (${detailOf(e)}); retrying with backoff`,
  gone: (where: string, key: string) =>
    `${where}/${key} was deleted or replaced while it was being read; it is read again if it is listed again`,
  other: (where: string, e: unknown) =>
    `the storage answered with an error for ${where} (${detailOf(e)}); retrying with backoff. If it persists, check ` +
    "the source's settings",
};
