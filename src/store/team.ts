import type { AuditChange, AuditEntry, AuditTargetKind, TokenRecord, TokenRole } from '../types.js';

/** Rows of the tokens and audit_log tables, as both adapters read them. */

export const TOKEN_COLUMNS = 'id, name, role, hash, created_at, last_used_at';
export const AUDIT_COLUMNS = 'id, at, token_name, action, target_kind, target_id, changes, detail';

export interface TokenRow {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: number | string;
  last_used_at: number | string | null;
}

export const toTokenRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role as TokenRole,
  hash: r.hash,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

export interface AuditRow {
  id: number | string;
  at: number | string;
  token_name: string;
  action: string;
  target_kind: string;
  target_id: string | null;
  /** Text in SQLite, parsed JSON (jsonb) in PostgreSQL. */
  changes: string | AuditChange[];
  detail: string | Record<string, unknown>;
}

const json = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export const toAuditEntry = (r: AuditRow): AuditEntry => ({
  id: Number(r.id),
  at: Number(r.at),
  tokenName: r.token_name,
  action: r.action,
  targetKind: r.target_kind as AuditTargetKind,
  targetId: r.target_id,
  changes: json<AuditChange[]>(r.changes),
  detail: json<Record<string, unknown>>(r.detail),
});

export const nameTakenMessage = (name: string): string =>
  `a token named "${name}" exists: choose another name, or revoke that one first (GET /v1/tokens lists them)`;
