import type { AuditEntry, NewAuditEntry, NewToken, TokenRecord } from '../../types.js';
import { ConflictError } from '../errors.js';
import type { AuditQuery } from '../port.js';
import {
  AUDIT_COLUMNS,
  nameTakenMessage,
  TOKEN_COLUMNS,
  toAuditEntry,
  toTokenRecord,
  type AuditRow,
  type TokenRow,
} from '../team.js';
import type { Db } from './pool.js';

const SQL = {
  // The partial unique index on live names decides between two processes creating the same name at once.
  insertToken:
    'INSERT INTO tokens (id, name, role, hash, created_at) VALUES ($1, $2, $3, $4, $5) ' +
    'ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING id',
  listTokens: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id`,
  findToken: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL`,
  revokeToken: `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING ${TOKEN_COLUMNS}`,
  touchToken: 'UPDATE tokens SET last_used_at = greatest(coalesce(last_used_at, 0), $1) WHERE id = $2',
  addAudit:
    'INSERT INTO audit_log (at, token_name, action, target_kind, target_id, changes, detail) ' +
    'VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) RETURNING id',
  listAudit:
    `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE ($1::text IS NULL OR target_kind = $1) ` +
    'AND ($2::text IS NULL OR target_id = $2) AND at >= $3 AND id < $4 ORDER BY id DESC LIMIT $5',
  pruneAudit: 'WITH gone AS (DELETE FROM audit_log WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone',
} as const;

/** Named tokens and the audit log. */
export function makeTeam(db: Db) {
  return {
    async createToken(t: NewToken): Promise<TokenRecord> {
      const rows = await db.query(SQL.insertToken, [t.id, t.name, t.role, t.hash, t.createdAt]);
      if (rows.length === 0) throw new ConflictError(nameTakenMessage(t.name));
      return { ...t, lastUsedAt: null };
    },
    async listTokens(): Promise<TokenRecord[]> {
      return (await db.query<TokenRow>(SQL.listTokens)).map(toTokenRecord);
    },
    async findToken(hash: string): Promise<TokenRecord | null> {
      const [row] = await db.query<TokenRow>(SQL.findToken, [hash]);
      return row === undefined ? null : toTokenRecord(row);
    },
    async revokeToken(id: string, at: number): Promise<TokenRecord | null> {
      const [row] = await db.query<TokenRow>(SQL.revokeToken, [at, id]);
      return row === undefined ? null : toTokenRecord(row);
    },
    async touchToken(id: string, at: number): Promise<void> {
      await db.query(SQL.touchToken, [at, id]);
    },
    async addAudit(e: NewAuditEntry): Promise<AuditEntry> {
      const [row] = await db.query<{ id: string }>(SQL.addAudit, [
        e.at,
        e.tokenName,
        e.action,
        e.targetKind,
        e.targetId,
        JSON.stringify(e.changes),
        JSON.stringify(e.detail),
      ]);
      return { ...e, id: Number(row!.id) };
    },
    async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
      const rows = await db.query<AuditRow>(SQL.listAudit, [
        q.targetKind ?? null,
        q.targetId ?? null,
        q.since ?? 0,
        q.beforeId ?? Number.MAX_SAFE_INTEGER,
        Math.max(0, q.limit),
      ]);
      return rows.map(toAuditEntry);
    },
    async pruneAudit(olderThanMs: number): Promise<number> {
      const [row] = await db.query<{ n: number }>(SQL.pruneAudit, [olderThanMs]);
      return row!.n;
    },
  };
}
