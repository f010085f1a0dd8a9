import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Process settings, from flags and environment, validated once at start into a frozen object that is passed down.
 * No other module reads process.env. Every setting is documented in README.md ("Settings"); keep the two in step.
 */

export type Role = 'all' | 'ingest' | 'deliver';

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** Bearer token of POST /v1/currents; null means "generate on first start and keep in the data folder". */
  readonly ingestToken: string | null;
  /** Bearer token of the admin API and the dashboard; null as above. */
  readonly adminToken: string | null;
  /** Key that encrypts mParticle secrets at rest; null means "generate into the data folder". */
  readonly secretKey: string | null;
  /** PostgreSQL connection string; null selects the embedded SQLite store under dataDir. */
  readonly databaseUrl: string | null;
  /** PostgreSQL: the schema holding the tables, connections per process, seqs per log partition (retention unit). */
  readonly database: { readonly schema: string; readonly poolSize: number; readonly partitionSize: number };
  readonly role: Role;
  readonly partitions: number;
  readonly maxEventsPerRequest: number;
  readonly bodyLimitBytes: number;
  readonly retentionHours: number;
  /** How long the audit log keeps an entry. */
  readonly auditRetentionDays: number;
  /** Serve HTTPS with this certificate chain and key (PEM files, reloaded on SIGHUP); null: plain HTTP. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly sqliteSync: 'full' | 'normal';
  /** SQLite: how long an append waits for others to join its transaction (0: the next macrotask). */
  readonly groupCommitMs: number;
  /** Run the SQLite store on its own worker thread (both cores for ingest); false keeps it on the main thread. */
  readonly sqliteThread: boolean;
  /** SQLite's page cache of the service's connection, MiB. */
  readonly sqliteCacheMb: number;
  /** Once the process has been quiet this long after work, give back memory kept for speed (0: never). */
  readonly idleReleaseMs: number;
  readonly minFreeDiskMb: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly smtpUrl: string | null;
  readonly smtpFrom: string;
  readonly delivery: DeliverySettings;
}

export interface DeliverySettings {
  /** How often a feed whose credentials were refused is probed with an empty request. */
  readonly probeIntervalMs: number;
  /** Events read from the log per step of a sender. */
  readonly readChunk: number;
  /** Bytes of stored events all senders of the process hold at once; they read fewer than readChunk past it. */
  readonly bufferBytes: number;
  /** Senders of the process working on a chunk at once (0: no bound). */
  readonly chunksInFlight: number;
  /** Timeout of one request to mParticle. */
  readonly requestTimeoutMs: number;
  /** Longest wait between retries of a failing request. */
  readonly maxBackoffMs: number;
  /** How long a delivery lease lasts without renewal (PostgreSQL, several processes). */
  readonly leaseTtlMs: number;
  /** Idle wait when a sender has nothing to read. */
  readonly idlePollMs: number;
  /** How long a sender may hold events that are not a full read, so that a user's events a moment apart share a batch. */
  readonly batchWaitMs: number;
}

/** Flags as commander gives them (all optional strings or numbers). */
export interface Flags {
  data?: string;
  host?: string;
  port?: string | number;
  databaseUrl?: string;
  role?: string;
  partitions?: string | number;
  maxEvents?: string | number;
  bodyLimit?: string | number;
  retentionHours?: string | number;
  sync?: string;
  logLevel?: string;
  tlsCert?: string;
  tlsKey?: string;
}

const positiveInt = z.coerce.number().int().positive();
const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? null : s))
  .nullable()
  .default(null);

const schema = z.object({
  dataDir: z.string().min(1).default('./data'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(7700),
  ingestToken: optionalText.refine((t) => t === null || t.length >= 16, 'must be at least 16 characters'),
  adminToken: optionalText.refine((t) => t === null || t.length >= 16, 'must be at least 16 characters'),
  secretKey: optionalText.refine((t) => t === null || t.length >= 16, 'must be at least 16 characters'),
  databaseUrl: optionalText.refine(
    (u) => u === null || /^postgres(ql)?:\/\//.test(u),
    'must be a postgres:// or postgresql:// URL',
  ),
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL schema name (letters, digits, underscores)')
    .default('public'),
  databasePoolSize: z.coerce.number().int().min(2).max(500).default(10),
  databasePartitionSize: z.coerce.number().int().min(1000).default(1_000_000),
  role: z.enum(['all', 'ingest', 'deliver']).default('all'),
  partitions: z.coerce.number().int().min(1).max(1024).default(16),
  maxEventsPerRequest: positiveInt.max(10_000).default(100),
  bodyLimitBytes: positiveInt.default(4 * 1024 * 1024),
  retentionHours: z.coerce.number().positive().default(168),
  auditRetentionDays: z.coerce.number().positive().default(365),
  tlsCert: optionalText,
  tlsKey: optionalText,
  sqliteSync: z.enum(['full', 'normal']).default('full'),
  groupCommitMs: z.coerce.number().int().min(0).max(1000).default(0),
  sqliteThread: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  sqliteCacheMb: z.coerce.number().int().min(1).max(65_536).default(16),
  minFreeDiskMb: z.coerce.number().min(0).default(64),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  smtpUrl: optionalText.refine((u) => u === null || /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL'),
  smtpFrom: z.string().min(3).default('currents-mparticle@localhost'),
  probeIntervalMs: positiveInt.default(180_000),
  readChunk: positiveInt.max(100_000).default(500),
  deliveryBufferMb: z.coerce.number().positive().max(65_536).default(16),
  chunksInFlight: z.coerce.number().int().min(0).max(1024).default(4),
  requestTimeoutMs: positiveInt.default(30_000),
  maxBackoffMs: positiveInt.default(300_000),
  leaseTtlMs: positiveInt.default(15_000),
  idlePollMs: positiveInt.default(200),
  batchWaitMs: z.coerce.number().int().min(0).max(10_000).default(100),
  idleReleaseMs: z.coerce.number().int().min(0).max(3_600_000).default(5_000),
});

/** Which environment variable feeds which setting (flags win over the environment). */
export const ENVIRONMENT: Readonly<Record<keyof z.input<typeof schema>, string>> = {
  dataDir: 'CURRENTS_DATA_DIR',
  host: 'CURRENTS_HOST',
  port: 'CURRENTS_PORT',
  ingestToken: 'CURRENTS_INGEST_TOKEN',
  adminToken: 'CURRENTS_ADMIN_TOKEN',
  secretKey: 'CURRENTS_SECRET_KEY',
  databaseUrl: 'DATABASE_URL',
  databaseSchema: 'CURRENTS_DATABASE_SCHEMA',
  databasePoolSize: 'CURRENTS_DATABASE_POOL_SIZE',
  databasePartitionSize: 'CURRENTS_DATABASE_PARTITION_SIZE',
  role: 'CURRENTS_ROLE',
  partitions: 'CURRENTS_PARTITIONS',
  maxEventsPerRequest: 'CURRENTS_MAX_EVENTS_PER_REQUEST',
  bodyLimitBytes: 'CURRENTS_BODY_LIMIT_BYTES',
  retentionHours: 'CURRENTS_RETENTION_HOURS',
  auditRetentionDays: 'CURRENTS_AUDIT_RETENTION_DAYS',
  tlsCert: 'CURRENTS_TLS_CERT',
  tlsKey: 'CURRENTS_TLS_KEY',
  sqliteSync: 'CURRENTS_SQLITE_SYNC',
  groupCommitMs: 'CURRENTS_GROUP_COMMIT_MS',
  sqliteThread: 'CURRENTS_SQLITE_THREAD',
  sqliteCacheMb: 'CURRENTS_SQLITE_CACHE_MB',
  minFreeDiskMb: 'CURRENTS_MIN_FREE_DISK_MB',
  logLevel: 'CURRENTS_LOG_LEVEL',
  smtpUrl: 'CURRENTS_SMTP_URL',
  smtpFrom: 'CURRENTS_SMTP_FROM',
  probeIntervalMs: 'CURRENTS_PROBE_INTERVAL_MS',
  readChunk: 'CURRENTS_READ_CHUNK',
  deliveryBufferMb: 'CURRENTS_DELIVERY_BUFFER_MB',
  chunksInFlight: 'CURRENTS_CHUNKS_IN_FLIGHT',
  requestTimeoutMs: 'CURRENTS_MPARTICLE_TIMEOUT_MS',
  maxBackoffMs: 'CURRENTS_MAX_BACKOFF_MS',
  leaseTtlMs: 'CURRENTS_LEASE_TTL_MS',
  idlePollMs: 'CURRENTS_IDLE_POLL_MS',
  batchWaitMs: 'CURRENTS_BATCH_WAIT_MS',
  idleReleaseMs: 'CURRENTS_IDLE_RELEASE_MS',
};

const FLAG_OF: Partial<Record<keyof z.input<typeof schema>, keyof Flags>> = {
  dataDir: 'data',
  host: 'host',
  port: 'port',
  databaseUrl: 'databaseUrl',
  role: 'role',
  partitions: 'partitions',
  maxEventsPerRequest: 'maxEvents',
  bodyLimitBytes: 'bodyLimit',
  retentionHours: 'retentionHours',
  sqliteSync: 'sync',
  logLevel: 'logLevel',
  tlsCert: 'tlsCert',
  tlsKey: 'tlsKey',
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Build the settings from flags and environment. Throws ConfigError listing every problem and how to fix it. */
export function loadConfig(flags: Flags, env: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(ENVIRONMENT) as (keyof typeof ENVIRONMENT)[]) {
    const flag = FLAG_OF[key];
    const fromFlag = flag === undefined ? undefined : flags[flag];
    const value = fromFlag ?? env[ENVIRONMENT[key]];
    if (value !== undefined) input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0]) as keyof typeof ENVIRONMENT;
      const flag = FLAG_OF[key];
      const where = flag ? `--${kebab(flag)} or ${ENVIRONMENT[key]}` : ENVIRONMENT[key];
      return `  ${where}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid settings; fix these and start again:\n${problems.join('\n')}`);
  }
  const s = parsed.data;
  if (s.databaseUrl !== null) {
    const missing = (['ingestToken', 'adminToken', 'secretKey'] as const)
      .filter((k) => s[k] === null)
      .map((k) => ENVIRONMENT[k]);
    if (missing.length > 0) {
      throw new ConfigError(
        `With DATABASE_URL, every process sharing the database must use the same tokens and secret key, so they are ` +
          `not generated per machine: set ${missing.join(', ')} (16+ characters each) and start again.`,
      );
    }
  }
  if ((s.tlsCert === null) !== (s.tlsKey === null)) {
    throw new ConfigError(
      `Invalid settings; fix these and start again:\n  --tls-cert and --tls-key (CURRENTS_TLS_CERT, CURRENTS_TLS_KEY): ` +
        `give both, the certificate chain and its private key (PEM files), or neither for plain HTTP`,
    );
  }
  return Object.freeze({
    dataDir: resolve(s.dataDir),
    host: s.host,
    port: s.port,
    ingestToken: s.ingestToken,
    adminToken: s.adminToken,
    secretKey: s.secretKey,
    databaseUrl: s.databaseUrl,
    database: Object.freeze({
      schema: s.databaseSchema,
      poolSize: s.databasePoolSize,
      partitionSize: s.databasePartitionSize,
    }),
    role: s.role,
    partitions: s.partitions,
    maxEventsPerRequest: s.maxEventsPerRequest,
    bodyLimitBytes: s.bodyLimitBytes,
    retentionHours: s.retentionHours,
    auditRetentionDays: s.auditRetentionDays,
    tls:
      s.tlsCert !== null && s.tlsKey !== null
        ? Object.freeze({ certFile: resolve(s.tlsCert), keyFile: resolve(s.tlsKey) })
        : null,
    sqliteSync: s.sqliteSync,
    groupCommitMs: s.groupCommitMs,
    sqliteThread: s.sqliteThread,
    sqliteCacheMb: s.sqliteCacheMb,
    idleReleaseMs: s.idleReleaseMs,
    minFreeDiskMb: s.minFreeDiskMb,
    logLevel: s.logLevel,
    smtpUrl: s.smtpUrl,
    smtpFrom: s.smtpFrom,
    delivery: Object.freeze({
      probeIntervalMs: s.probeIntervalMs,
      readChunk: s.readChunk,
      bufferBytes: Math.round(s.deliveryBufferMb * 2 ** 20),
      chunksInFlight: s.chunksInFlight,
      requestTimeoutMs: s.requestTimeoutMs,
      maxBackoffMs: s.maxBackoffMs,
      leaseTtlMs: s.leaseTtlMs,
      idlePollMs: s.idlePollMs,
      batchWaitMs: s.batchWaitMs,
    }),
  });
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
