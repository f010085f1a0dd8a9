import type { SourceKind } from '../api/types.js';

/** The "Add a source" form as plain data, and its translation to the body of POST /v1/sources. */

export interface SourceFormState {
  kind: SourceKind;
  name: string;
  id: string;
  bucket: string;
  container: string;
  prefix: string;
  region: string;
  endpoint: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  connectionString: string;
  credentialsJson: string;
  apiEndpoint: string;
  pollIntervalSeconds: string;
  /** A `datetime-local` value (the browser's time zone); empty: from the newest hour. */
  from: string;
}

export const KINDS: readonly { kind: SourceKind; label: string; hint: string }[] = [
  { kind: 'http', label: 'HTTP push', hint: "Braze's Custom HTTP Current pushes to this service with a token." },
  { kind: 's3', label: 'Amazon S3', hint: 'Braze writes Avro files to your bucket (or an S3-compatible store).' },
  { kind: 'azure_blob', label: 'Azure Blob Storage', hint: 'Braze writes Avro files to your container.' },
  { kind: 'gcs', label: 'Google Cloud Storage', hint: 'Braze writes Avro files to your bucket.' },
];

export function kindLabel(kind: SourceKind): string {
  return KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

export function emptySourceForm(): SourceFormState {
  return {
    kind: 'http',
    name: '',
    id: '',
    bucket: '',
    container: '',
    prefix: '',
    region: '',
    endpoint: '',
    forcePathStyle: false,
    accessKeyId: '',
    secretAccessKey: '',
    connectionString: '',
    credentialsJson: '',
    apiEndpoint: '',
    pollIntervalSeconds: '60',
    from: '',
  };
}

/** Only what was filled in, and only the settings of the chosen kind: the API checks the rest and says what to do. */
export function sourceBody(s: SourceFormState): Record<string, unknown> {
  const body: Record<string, unknown> = { name: s.name, kind: s.kind };
  const put = (key: string, value: string) => {
    if (value.trim() !== '') body[key] = value.trim();
  };
  put('id', s.id);
  if (s.kind === 'http') return body;
  if (s.kind === 'azure_blob') put('container', s.container);
  else put('bucket', s.bucket);
  if (s.prefix !== '') body.prefix = s.prefix;
  if (s.pollIntervalSeconds.trim() !== '') {
    const n = Number(s.pollIntervalSeconds);
    body.poll_interval_seconds = Number.isFinite(n) ? n : s.pollIntervalSeconds;
  }
  if (s.from !== '') {
    const at = new Date(s.from);
    body.from = Number.isNaN(at.getTime()) ? s.from : at.toISOString();
  }
  if (s.kind === 's3') {
    put('region', s.region);
    put('endpoint', s.endpoint);
    if (s.forcePathStyle) body.force_path_style = true;
    put('access_key_id', s.accessKeyId);
    if (s.secretAccessKey !== '') body.secret_access_key = s.secretAccessKey;
  } else if (s.kind === 'azure_blob') {
    if (s.connectionString !== '') body.connection_string = s.connectionString.trim();
  } else {
    if (s.credentialsJson.trim() !== '') body.credentials_json = s.credentialsJson.trim();
    put('api_endpoint', s.apiEndpoint);
  }
  return body;
}

const FIELD_IDS: Record<string, string> = {
  kind: 's-kind-http',
  name: 's-name',
  id: 's-id',
  bucket: 's-bucket',
  container: 's-container',
  prefix: 's-prefix',
  region: 's-region',
  endpoint: 's-endpoint',
  force_path_style: 's-path-style',
  access_key_id: 's-access-key-id',
  secret_access_key: 's-secret-access-key',
  connection_string: 's-connection-string',
  credentials_json: 's-credentials-json',
  api_endpoint: 's-api-endpoint',
  poll_interval_seconds: 's-poll',
  from: 's-from',
};

/** The form control an API field path belongs to, or null for a message about the whole form. */
export function sourceFieldId(path: string): string | null {
  return FIELD_IDS[path] ?? null;
}

/** "3 min", "2 h 5 min": how far behind now a source's newest event is. */
export function lagLabel(seconds: number | null): string {
  if (seconds === null) return 'nothing received yet';
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
