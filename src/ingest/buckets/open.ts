import type { SourceConfig } from '../../types.js';
import { BucketError, detailOf, type Bucket } from './bucket.js';

export type StorageConfig = Exclude<SourceConfig, { kind: 'http' }>;

/** Storage sources: every kind but http. */
export const isStorage = (config: SourceConfig): config is StorageConfig => config.kind !== 'http';

/**
 * The bucket of a storage source. `decrypt` opens its stored credentials (the caller holds the key); a credential
 * that cannot be decrypted is an access problem the operator fixes, said as such.
 *
 * Each cloud's SDK is imported when a source of its kind is first opened, not at start: the three together hold
 * about 15 MiB of the main heap (their sources, bytecode and shapes), which a service without storage sources (or
 * with sources of one kind) never needs.
 */
export async function openBucket(config: StorageConfig, decrypt: (enc: string) => string): Promise<Bucket> {
  const open = (enc: string): string => {
    try {
      return decrypt(enc);
    } catch (e) {
      throw new BucketError('access_denied', detailOf(e), { cause: e });
    }
  };
  switch (config.kind) {
    case 's3': {
      const { openS3 } = await import('./s3.js');
      return openS3({
        bucket: config.bucket,
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.forcePathStyle,
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKeyEnc === null ? null : open(config.secretAccessKeyEnc),
      });
    }
    case 'azure_blob': {
      const { openAzure } = await import('./azure.js');
      return openAzure({ container: config.container, connectionString: open(config.connectionStringEnc) });
    }
    case 'gcs': {
      const { openGcs } = await import('./gcs.js');
      return openGcs({
        bucket: config.bucket,
        credentialsJson: config.credentialsJsonEnc === null ? null : open(config.credentialsJsonEnc),
        apiEndpoint: config.apiEndpoint,
      });
    }
  }
}
