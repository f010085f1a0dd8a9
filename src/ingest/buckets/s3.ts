import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { BucketError, detailOf, networkCode, say, type Bucket, type BucketObject } from './bucket.js';

/** S3 and S3-compatible stores (MinIO, a proxy, s3rver) through @aws-sdk/client-s3. */

export interface S3Settings {
  bucket: string;
  region: string;
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Both null: the standard AWS credential chain (environment, profile, instance or task role). */
  accessKeyId: string | null;
  secretAccessKey: string | null;
}

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function classifyS3(e: unknown, s: S3Settings, key?: string): BucketError {
  const where = `s3://${s.bucket}`;
  const err = e as SdkError;
  const name = err.name ?? err.Code ?? '';
  const status = err.$metadata?.httpStatusCode;
  const endpoint = s.endpoint ?? `S3 in ${s.region}`;
  if (name === 'CredentialsProviderError') {
    return new BucketError(
      'access_denied',
      `no AWS credentials were found for ${where}: give the source access_key_id and secret_access_key, or run the ` +
        'service where the standard AWS chain finds some (AWS_ACCESS_KEY_ID, a profile, an instance or task role)',
      { cause: e },
    );
  }
  if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden', 'ExpiredToken'].includes(name)) {
    return new BucketError(
      'access_denied',
      `access to ${where} was denied (${name}: ${detailOf(e)}): check the source's access key and secret, and that ` +
        `they may list the bucket and read its objects (s3:ListBucket on ${s.bucket}, s3:GetObject on its keys)`,
      { cause: e },
    );
  }
  if (name === 'NoSuchBucket') {
    return new BucketError(
      'no_bucket',
      `the bucket ${s.bucket} does not exist at ${endpoint}: check the source's bucket and region (or endpoint)`,
      { cause: e },
    );
  }
  if (
    key !== undefined &&
    (name === 'NoSuchKey' || name === 'PreconditionFailed' || status === 404 || status === 412)
  ) {
    return new BucketError('gone', say.gone(where, key), { cause: e });
  }
  if (status === 401 || status === 403) {
    return new BucketError(
      'access_denied',
      `access to ${where} was denied (${status}): check the source's credentials and the bucket's policy`,
      { cause: e },
    );
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return new BucketError(
      'no_bucket',
      `${where} is not in region ${s.region} (${name || status}): set the source's region to the bucket's`,
      { cause: e },
    );
  }
  if (name === 'SlowDown' || name === 'Throttling' || status === 429 || status === 503) {
    return new BucketError('throttled', say.throttled(where, e), { cause: e });
  }
  if (networkCode(e) !== null || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new BucketError('unreachable', say.unreachable(where, endpoint, e), { cause: e });
  }
  return new BucketError('other', say.other(where, e), { cause: e });
}

export function openS3(s: S3Settings): Bucket {
  const config: S3ClientConfig = {
    region: s.region,
    forcePathStyle: s.forcePathStyle,
    // The poller retries with its own backoff and says why in the source's status; one retry here covers a blip.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000 },
  };
  if (s.endpoint !== null) config.endpoint = s.endpoint;
  if (s.accessKeyId !== null && s.secretAccessKey !== null) {
    config.credentials = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  }
  const client = new S3Client(config);
  return {
    where: `s3://${s.bucket}`,
    async *list(prefix, after, pageSize) {
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: s.bucket,
              Prefix: prefix,
              MaxKeys: pageSize,
              ...(token !== undefined ? { ContinuationToken: token } : after !== null ? { StartAfter: after } : {}),
            }),
          );
        } catch (e) {
          throw classifyS3(e, s);
        }
        const objects: BucketObject[] = (page.Contents ?? []).map((o) => ({
          key: o.Key!,
          size: o.Size ?? 0,
          etag: o.ETag ?? '',
          modifiedAt: o.LastModified?.getTime() ?? null,
        }));
        if (objects.length > 0) yield objects;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },
    async read(object) {
      try {
        const got = await client.send(
          new GetObjectCommand({
            Bucket: s.bucket,
            Key: object.key,
            ...(object.etag !== '' ? { IfMatch: object.etag } : {}),
          }),
        );
        return got.Body as AsyncIterable<Uint8Array>;
      } catch (e) {
        throw classifyS3(e, s, object.key);
      }
    },
    close: () => client.destroy(),
  };
}
