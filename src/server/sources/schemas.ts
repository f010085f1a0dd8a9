import { z } from 'zod';

/**
 * Request and response shapes of the sources API. They validate requests (API and CLI alike) and generate
 * /openapi.json. Each kind of source takes its own settings; a setting of another kind is refused by name.
 */

export const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const id = z
  .string()
  .regex(SOURCE_ID, 'use 1 to 63 lowercase letters, digits, "-" or "_", starting with a letter or a digit')
  .refine((v) => v !== 'default', '"default" is the built-in source of the service\'s ingest token: choose another id')
  .describe('the id to push with (?source=<id>) and to name in exports; generated when absent');
const NAME = 'give the source a name (e.g. the Braze workspace)';
const name = z.string({ error: NAME }).trim().min(1, NAME).max(200, 'a name is at most 200 characters');

const bucket = (what: string) =>
  z
    .string({ error: `the ${what} name is required` })
    .regex(
      /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/,
      `a ${what} name has 3 to 63 lowercase letters, digits, dots, "-" or "_", and starts and ends with a letter or digit`,
    );
const container = z
  .string({ error: 'the container name is required' })
  .regex(
    /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    'a container name has 3 to 63 lowercase letters, digits and single hyphens, and starts and ends with a letter or digit',
  );
const prefix = z
  .string()
  .max(1024, 'a prefix is at most 1024 characters')
  .describe('where under the bucket Braze writes (the Current\'s "prefix"); default: the whole bucket');
const pollInterval = z
  .number()
  .int('give a whole number of seconds')
  .min(10, 'poll at most every 10 seconds')
  .max(86_400, 'poll at least once a day (86400 seconds)')
  .describe('seconds between two listings of the bucket (default 60; Braze writes a file every 5 minutes or so)');
const from = z.iso
  .datetime({ offset: true, error: 'give a time such as 2026-11-01T00:00:00Z' })
  .describe('import objects written from this time on (a backfill); default: from the newest hour at start');
const endpoint = (what: string) =>
  z.url({ protocol: /^https?$/, error: `give the ${what} as an http(s) URL, e.g. http://127.0.0.1:9000` });
const region = z
  .string()
  .regex(/^[a-z0-9-]{2,32}$/, 'give an AWS region such as eu-west-1')
  .describe('default us-east-1');
const accessKeyId = z.string().trim().min(1, 'the access key id cannot be empty');
const secretAccessKey = z.string().min(1, 'the secret access key cannot be empty');
const connectionString = z
  .string({ error: "the storage account's connection string is required" })
  .refine(
    (v) => /(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i.test(v),
    "give the storage account's connection string (Azure portal, the account's Access keys: " +
      '"DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...")',
  );
const credentialsJson = z.string().refine((v) => {
  try {
    const parsed = JSON.parse(v) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}, "give the content of the service account's key file (a JSON object) as text");

/** "bucket: not a setting of http sources (they take name)" rather than zod's "Unrecognized key". */
const only = (kind: string, keys: readonly string[]) => ({
  error: (issue: { code?: string }) =>
    issue.code === 'unrecognized_keys'
      ? `not a setting of ${kind} sources (they take ${keys.filter((k) => k !== 'kind').join(', ')})`
      : undefined,
});

const strict = <S extends z.ZodRawShape>(kind: string, shape: S) =>
  z.strictObject(shape, only(kind, Object.keys(shape)));

const storage = { prefix: prefix.optional(), poll_interval_seconds: pollInterval.optional(), from: from.optional() };

const createHttp = strict('http', { id: id.optional(), name, kind: z.literal('http') });
const createS3 = strict('s3', {
  id: id.optional(),
  name,
  kind: z.literal('s3'),
  bucket: bucket('bucket'),
  region: region.optional(),
  endpoint: endpoint('endpoint').optional().describe('an S3-compatible endpoint (MinIO, a proxy); default AWS'),
  force_path_style: z.boolean().optional().describe('path-style URLs (bucket in the path), for MinIO and proxies'),
  access_key_id: accessKeyId.optional().describe('without keys, the standard AWS credential chain is used'),
  secret_access_key: secretAccessKey.optional().describe('write-only: never returned'),
  ...storage,
}).refine((b) => (b.access_key_id === undefined) === (b.secret_access_key === undefined), {
  message: 'give both access_key_id and secret_access_key, or neither to use the standard AWS credential chain',
  path: ['secret_access_key'],
});
const createAzure = strict('azure_blob', {
  id: id.optional(),
  name,
  kind: z.literal('azure_blob'),
  container,
  connection_string: connectionString.describe('write-only: never returned'),
  ...storage,
});
const createGcs = strict('gcs', {
  id: id.optional(),
  name,
  kind: z.literal('gcs'),
  bucket: bucket('bucket'),
  credentials_json: credentialsJson
    .optional()
    .describe("the service account's key file, as text; write-only; default Application Default Credentials"),
  api_endpoint: endpoint('API endpoint').optional().describe('another JSON API endpoint (an emulator); default Google'),
  ...storage,
});

export const createSourceBody = z.discriminatedUnion('kind', [createHttp, createS3, createAzure, createGcs], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'choose the kind of source: "http", "s3", "azure_blob" or "gcs"' : undefined,
});

// PATCH: the kind cannot change; the body is checked against the stored source's kind.
const patchHttp = strict('http', { name: name.optional() });
const patchS3 = strict('s3', {
  name: name.optional(),
  bucket: bucket('bucket').optional(),
  region: region.optional(),
  endpoint: endpoint('endpoint').nullable().optional().describe('null: back to AWS'),
  force_path_style: z.boolean().optional(),
  access_key_id: accessKeyId.nullable().optional().describe('null (with secret_access_key null): the credential chain'),
  secret_access_key: secretAccessKey.nullable().optional(),
  prefix: prefix.optional(),
  poll_interval_seconds: pollInterval.optional(),
  from: from.nullable().optional(),
});
const patchAzure = strict('azure_blob', {
  name: name.optional(),
  container: container.optional(),
  connection_string: connectionString.optional(),
  prefix: prefix.optional(),
  poll_interval_seconds: pollInterval.optional(),
  from: from.nullable().optional(),
});
const patchGcs = strict('gcs', {
  name: name.optional(),
  bucket: bucket('bucket').optional(),
  credentials_json: credentialsJson.nullable().optional().describe('null: Application Default Credentials'),
  api_endpoint: endpoint('API endpoint').nullable().optional().describe('null: Google'),
  prefix: prefix.optional(),
  poll_interval_seconds: pollInterval.optional(),
  from: from.nullable().optional(),
});

export const patchSourceBodies = { http: patchHttp, s3: patchS3, azure_blob: patchAzure, gcs: patchGcs } as const;
/** For the OpenAPI document: the settings each kind takes (the stored source's kind decides which applies). */
export const patchSourceBody = z.union([patchHttp, patchS3, patchAzure, patchGcs]);

export const sourceIdParams = z.object({ id: z.string().min(1).max(100) });

export const sourceView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['http', 's3', 'azure_blob', 'gcs']),
    state: z.enum(['active', 'paused']),
    created_at: z.string(),
    updated_at: z.string(),
    own_token: z.boolean().optional().describe('http: pushes with a token of its own (else the ingest token)'),
    push: z.string().optional().describe('http: how to push to it'),
    bucket: z.string().optional(),
    container: z.string().optional(),
    prefix: z.string().optional(),
    region: z.string().optional(),
    endpoint: z.string().nullable().optional(),
    force_path_style: z.boolean().optional(),
    access_key_id: z.string().nullable().optional(),
    secret_access_key_set: z.boolean().optional(),
    connection_string_set: z.boolean().optional(),
    credentials_json_set: z.boolean().optional(),
    api_endpoint: z.string().nullable().optional(),
    poll_interval_seconds: z.number().optional(),
    from: z.string().nullable().optional(),
  })
  .describe('a source; secrets show only as set');

export const createdSourceView = sourceView.extend({
  token: z
    .string()
    .optional()
    .describe("http: the source's own ingest token, shown this once: keep it now, it is never shown again"),
});

export type CreateSourceBody = z.output<typeof createSourceBody>;
export type PatchBodies = { [K in keyof typeof patchSourceBodies]: z.output<(typeof patchSourceBodies)[K]> };
export type PatchSourceBody = PatchBodies[keyof PatchBodies];
