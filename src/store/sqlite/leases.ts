import type Database from 'better-sqlite3';
import type { Lease } from '../../types.js';
import type { LeaseKey } from '../port.js';

const LEASE_COLUMNS = 'export_id, feed, part, owner, expires_at, acquired_at';
const SQL = {
  // Taken when free, expired, or already ours (a renewal keeps its acquired_at). RETURNING yields the row only when
  // it was inserted or updated, i.e. exactly when `owner` holds it afterwards.
  claim:
    `INSERT INTO leases (${LEASE_COLUMNS}) VALUES (@exportId, @feed, @part, @owner, @expiresAt, @now) ` +
    'ON CONFLICT (export_id, feed, part) DO UPDATE SET ' +
    'acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END, ' +
    'owner = excluded.owner, expires_at = excluded.expires_at ' +
    'WHERE leases.owner = excluded.owner OR leases.expires_at <= @now ' +
    `RETURNING ${LEASE_COLUMNS}`,
  release: 'DELETE FROM leases WHERE export_id = ? AND feed = ? AND part = ? AND owner = ?',
  listAll: `SELECT ${LEASE_COLUMNS} FROM leases ORDER BY export_id, feed, part`,
  listExport: `SELECT ${LEASE_COLUMNS} FROM leases WHERE export_id = ? ORDER BY feed, part`,
  heartbeat:
    'INSERT INTO processes (owner, role, last_seen) VALUES (?, ?, ?) ' +
    'ON CONFLICT (owner) DO UPDATE SET role = excluded.role, last_seen = max(last_seen, excluded.last_seen)',
  live: 'SELECT owner, role, last_seen AS lastSeen FROM processes WHERE last_seen >= ? ORDER BY owner',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

interface LeaseRow {
  export_id: string;
  feed: string;
  part: number;
  owner: string;
  expires_at: number;
  acquired_at: number;
}

const toLease = (r: LeaseRow): Lease => ({
  exportId: r.export_id,
  feed: r.feed,
  partition: r.part,
  owner: r.owner,
  expiresAt: r.expires_at,
  acquiredAt: r.acquired_at,
});

/** Leases, process heartbeats and meta: one SQLite process holds everything, but the semantics match PostgreSQL's. */
export function makeLeases(db: Database.Database) {
  const claim = db.prepare(SQL.claim);
  const release = db.prepare(SQL.release);
  const listAll = db.prepare(SQL.listAll);
  const listExport = db.prepare(SQL.listExport);
  const heartbeat = db.prepare(SQL.heartbeat);
  const live = db.prepare(SQL.live);
  const getMeta = db.prepare(SQL.getMeta).pluck();
  const setMeta = db.prepare(SQL.setMeta);

  const claimAll = db.transaction((owner: string, keys: readonly LeaseKey[], now: number, ttlMs: number) => {
    const held: Lease[] = [];
    const asked = new Set<string>();
    for (const k of keys) {
      const id = JSON.stringify([k.exportId, k.feed, k.partition]);
      if (asked.has(id)) continue;
      asked.add(id);
      const row = claim.get({
        exportId: k.exportId,
        feed: k.feed,
        part: k.partition,
        owner,
        expiresAt: now + ttlMs,
        now,
      }) as LeaseRow | undefined;
      if (row !== undefined) held.push(toLease(row));
    }
    return held;
  });
  const releaseAll = db.transaction((owner: string, keys: readonly LeaseKey[]) => {
    for (const k of keys) release.run(k.exportId, k.feed, k.partition, owner);
  });

  return {
    claimLeases: (owner: string, keys: readonly LeaseKey[], now: number, ttlMs: number): Lease[] =>
      claimAll.immediate(owner, keys, now, ttlMs),
    releaseLeases: (owner: string, keys: readonly LeaseKey[]): void => releaseAll.immediate(owner, keys),
    listLeases: (exportId?: string): Lease[] =>
      ((exportId === undefined ? listAll.all() : listExport.all(exportId)) as LeaseRow[]).map(toLease),
    heartbeat: (owner: string, now: number, role: string): void => void heartbeat.run(owner, role, now),
    liveProcesses: (sinceMs: number): { owner: string; role: string; lastSeen: number }[] =>
      live.all(sinceMs) as { owner: string; role: string; lastSeen: number }[],
    getMeta: (key: string): string | null => (getMeta.get(key) as string | undefined) ?? null,
    setMeta: (key: string, value: string): void => void setMeta.run(key, value),
  };
}
