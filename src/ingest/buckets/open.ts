import type { SourceConfig } from '../../types.js';
import { openAzure } from './azure.js';
import { BucketError, detailOf, type Bucket } from './bucket.js';
import { openGcs } from './gcs.js';
import { openS3 } from './s3.js';

export type StorageConfig = Exclude<SourceConfig, { kind: 'http' }>;

/** Storage sources: every kind but http. */
export const isStorage = (config: SourceConfig): config is StorageConfig => config.kind !== 'http';

/**
 * The bucket of a storage source. `decrypt` opens its stored credentials (the caller holds the key); a credential
 * that cannot be decrypted is an access problem the operator fixes, said as such.
 */
export function openBucket(config: StorageConfig, decrypt: (enc: string) => string): Bucket {
  const open = (enc: string): string => {
    try {
      return decrypt(enc);
    } catch (e) {
      throw new BucketError('access_denied', detailOf(e), { cause: e });
    }
  };
  switch (config.kind) {
    case 's3':
      return openS3({
        bucket: config.bucket,
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.forcePathStyle,
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKeyEnc === null ? null : open(config.secretAccessKeyEnc),
      });
    case 'azure_blob':
      return openAzure({ container: config.container, connectionString: open(config.connectionStringEnc) });
    case 'gcs':
      return openGcs({
        bucket: config.bucket,
        credentialsJson: config.credentialsJsonEnc === null ? null : open(config.credentialsJsonEnc),
        apiEndpoint: config.apiEndpoint,
      });
  }
}
