import type Database from 'better-sqlite3';
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

const SQL = {
  nameTaken: 'SELECT 1 FROM tokens WHERE name = ? AND revoked_at IS NULL',
  insertToken:
    'INSERT INTO tokens (id, name, role, hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL, NULL)',
  listTokens: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE revoked_at IS NULL ORDER BY created_at, id`,
  findToken: `SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = ? AND revoked_at IS NULL`,
  revokeToken: `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING ${TOKEN_COLUMNS}`,
  touchToken: 'UPDATE tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?',
  addAudit:
    'INSERT INTO audit_log (at, token_name, action, target_kind, target_id, changes, detail) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
  listAudit:
    `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE (@kind IS NULL OR target_kind = @kind) ` +
    'AND (@target IS NULL OR target_id = @target) AND at >= @since AND id < @before ORDER BY id DESC LIMIT @limit',
  pruneAudit: 'DELETE FROM audit_log WHERE at < ?',
} as const;

/** Named tokens and the audit log. */
export function makeTeam(db: Database.Database) {
  const nameTaken = db.prepare(SQL.nameTaken).pluck();
  const insertToken = db.prepare(SQL.insertToken);
  const listTokens = db.prepare(SQL.listTokens);
  const findToken = db.prepare(SQL.findToken);
  const revokeToken = db.prepare(SQL.revokeToken);
  const touchToken = db.prepare(SQL.touchToken);
  const addAudit = db.prepare(SQL.addAudit).pluck();
  const listAudit = db.prepare(SQL.listAudit);
  const pruneAudit = db.prepare(SQL.pruneAudit);

  const create = db.transaction((t: NewToken): TokenRecord => {
    if (nameTaken.get(t.name) !== undefined) throw new ConflictError(nameTakenMessage(t.name));
    insertToken.run(t.id, t.name, t.role, t.hash, t.createdAt);
    return { ...t, lastUsedAt: null };
  });

  return {
    createToken: (t: NewToken): TokenRecord => create.immediate(t),
    listTokens: (): TokenRecord[] => (listTokens.all() as TokenRow[]).map(toTokenRecord),
    findToken: (hash: string): TokenRecord | null => {
      const row = findToken.get(hash) as TokenRow | undefined;
      return row === undefined ? null : toTokenRecord(row);
    },
    revokeToken: (id: string, at: number): TokenRecord | null => {
      const row = revokeToken.get(at, id) as TokenRow | undefined;
      return row === undefined ? null : toTokenRecord(row);
    },
    touchToken: (id: string, at: number): void => void touchToken.run(at, id),
    addAudit: (e: NewAuditEntry): AuditEntry => {
      const id = addAudit.get(
        e.at,
        e.tokenName,
        e.action,
        e.targetKind,
        e.targetId,
        JSON.stringify(e.changes),
        JSON.stringify(e.detail),
      ) as number;
      return { ...e, id };
    },
    listAudit: (q: AuditQuery): AuditEntry[] =>
      (
        listAudit.all({
          kind: q.targetKind ?? null,
          target: q.targetId ?? null,
          since: q.since ?? 0,
          before: q.beforeId ?? Number.MAX_SAFE_INTEGER,
          limit: Math.max(0, q.limit),
        }) as AuditRow[]
      ).map(toAuditEntry),
    pruneAudit: (olderThanMs: number): number => pruneAudit.run(olderThanMs).changes,
  };
}
