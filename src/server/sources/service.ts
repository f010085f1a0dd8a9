import { randomBytes } from 'node:crypto';
import { newToken, tokenHash, type SecretBox } from '../../secrets.js';
import {
  DEFAULT_SOURCE,
  type NewSource,
  type SourceConfig,
  type SourceRecord,
  type StorageSettings,
} from '../../types.js';
import { HttpError } from '../errors.js';
import type { CreateSourceBody, PatchBodies, PatchSourceBody } from './schemas.js';

/** Turning API bodies into stored sources and back. Credentials are encrypted here and never leave in a view. */

export function newSourceId(): string {
  return `src_${randomBytes(6).toString('hex')}`;
}

const DEFAULT_POLL_SECONDS = 60;
const DEFAULT_REGION = 'us-east-1';

const ms = (iso: string | undefined | null): number | null => (iso == null ? null : Date.parse(iso));

function storageOf(body: {
  prefix?: string | undefined;
  poll_interval_seconds?: number | undefined;
  from?: string | undefined;
}): StorageSettings {
  return {
    prefix: body.prefix ?? '',
    pollIntervalSeconds: body.poll_interval_seconds ?? DEFAULT_POLL_SECONDS,
    from: ms(body.from),
  };
}

function configOf(body: CreateSourceBody, secrets: SecretBox): SourceConfig {
  switch (body.kind) {
    case 'http':
      return { kind: 'http' };
    case 's3':
      return {
        kind: 's3',
        bucket: body.bucket,
        region: body.region ?? DEFAULT_REGION,
        endpoint: body.endpoint ?? null,
        forcePathStyle: body.force_path_style ?? false,
        accessKeyId: body.access_key_id ?? null,
        secretAccessKeyEnc: body.secret_access_key === undefined ? null : secrets.encrypt(body.secret_access_key),
        ...storageOf(body),
      };
    case 'azure_blob':
      return {
        kind: 'azure_blob',
        container: body.container,
        connectionStringEnc: secrets.encrypt(body.connection_string),
        ...storageOf(body),
      };
    case 'gcs':
      return {
        kind: 'gcs',
        bucket: body.bucket,
        credentialsJsonEnc: body.credentials_json === undefined ? null : secrets.encrypt(body.credentials_json),
        apiEndpoint: body.api_endpoint ?? null,
        ...storageOf(body),
      };
  }
}

/** A new source and, for an http source, its own ingest token: returned once, only its hash is kept. */
export function buildSource(
  body: CreateSourceBody,
  deps: { secrets: SecretBox; now: number },
): { source: NewSource; token: string | null } {
  const token = body.kind === 'http' ? newToken() : null;
  return {
    source: {
      id: body.id ?? newSourceId(),
      name: body.name,
      state: 'active',
      tokenHash: token === null ? null : tokenHash(token),
      config: configOf(body, deps.secrets),
      createdAt: deps.now,
      updatedAt: deps.now,
    },
    token,
  };
}

/** A new own token for an http source (the old one stops working at once). */
export function rotateToken(record: SourceRecord, now: number): { record: SourceRecord; token: string } {
  if (record.id === DEFAULT_SOURCE) {
    throw new HttpError(
      409,
      'default_source',
      'the default source pushes with the service\'s ingest token: change CURRENTS_INGEST_TOKEN (or "ingest_token" ' +
        'in <data>/tokens.json) and restart, or create an http source of its own',
    );
  }
  if (record.config.kind !== 'http') {
    throw new HttpError(409, 'not_http', `source ${record.id} reads files from ${record.config.kind}: it has no token`);
  }
  const token = newToken();
  return {
    record: { ...record, tokenHash: tokenHash(token), updatedAt: Math.max(now, record.updatedAt + 1) },
    token,
  };
}

function patchStorage(current: StorageSettings, body: PatchSourceBody): StorageSettings {
  const b = body as { prefix?: string; poll_interval_seconds?: number; from?: string | null };
  return {
    prefix: b.prefix ?? current.prefix,
    pollIntervalSeconds: b.poll_interval_seconds ?? current.pollIntervalSeconds,
    from: b.from === undefined ? current.from : ms(b.from),
  };
}

/** The source with a PATCH applied (the body was checked against the source's kind). */
export function applySourcePatch(
  record: SourceRecord,
  body: PatchSourceBody,
  secrets: SecretBox,
  now: number,
): SourceRecord {
  const c = record.config;
  let config: SourceConfig = c;
  if (c.kind === 's3') {
    const b = body as PatchBodies['s3'];
    const keyId = b.access_key_id === undefined ? c.accessKeyId : b.access_key_id;
    const secret =
      b.secret_access_key === undefined
        ? c.secretAccessKeyEnc
        : b.secret_access_key === null
          ? null
          : secrets.encrypt(b.secret_access_key);
    if ((keyId === null) !== (secret === null)) {
      const message =
        'give both access_key_id and secret_access_key, or set both to null to use the standard AWS credential chain';
      throw new HttpError(400, 'invalid_request', `secret_access_key: ${message}`, {
        fields: { secret_access_key: message },
      });
    }
    config = {
      ...c,
      bucket: b.bucket ?? c.bucket,
      region: b.region ?? c.region,
      endpoint: b.endpoint === undefined ? c.endpoint : b.endpoint,
      forcePathStyle: b.force_path_style ?? c.forcePathStyle,
      accessKeyId: keyId,
      secretAccessKeyEnc: secret,
      ...patchStorage(c, body),
    };
  } else if (c.kind === 'azure_blob') {
    const b = body as PatchBodies['azure_blob'];
    config = {
      ...c,
      container: b.container ?? c.container,
      connectionStringEnc:
        b.connection_string === undefined ? c.connectionStringEnc : secrets.encrypt(b.connection_string),
      ...patchStorage(c, body),
    };
  } else if (c.kind === 'gcs') {
    const b = body as PatchBodies['gcs'];
    config = {
      ...c,
      bucket: b.bucket ?? c.bucket,
      credentialsJsonEnc:
        b.credentials_json === undefined
          ? c.credentialsJsonEnc
          : b.credentials_json === null
            ? null
            : secrets.encrypt(b.credentials_json),
      apiEndpoint: b.api_endpoint === undefined ? c.apiEndpoint : b.api_endpoint,
      ...patchStorage(c, body),
    };
  }
  return {
    ...record,
    name: body.name ?? record.name,
    config,
    updatedAt: Math.max(now, record.updatedAt + 1),
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The source as the API shows it: its settings, whether each secret is set; never a secret nor a token. */
export function sourceJson(r: SourceRecord) {
  const base = {
    id: r.id,
    name: r.name,
    kind: r.config.kind,
    state: r.state,
    created_at: new Date(r.createdAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
  };
  const c = r.config;
  const storage = (s: StorageSettings) => ({
    prefix: s.prefix,
    poll_interval_seconds: s.pollIntervalSeconds,
    from: iso(s.from),
  });
  switch (c.kind) {
    case 'http':
      return {
        ...base,
        own_token: r.tokenHash !== null,
        push:
          r.id === DEFAULT_SOURCE
            ? 'POST /v1/currents with the ingest token'
            : `POST /v1/currents with this source's own token, or POST /v1/currents?source=${r.id} with the ingest token`,
      };
    case 's3':
      return {
        ...base,
        bucket: c.bucket,
        region: c.region,
        endpoint: c.endpoint,
        force_path_style: c.forcePathStyle,
        access_key_id: c.accessKeyId,
        secret_access_key_set: c.secretAccessKeyEnc !== null,
        ...storage(c),
      };
    case 'azure_blob':
      return { ...base, container: c.container, connection_string_set: true, ...storage(c) };
    case 'gcs':
      return {
        ...base,
        bucket: c.bucket,
        credentials_json_set: c.credentialsJsonEnc !== null,
        api_endpoint: c.apiEndpoint,
        ...storage(c),
      };
  }
}
