import type { Lease } from '../../types.js';
import type { LeaseKey } from '../port.js';
import type { Db } from './pool.js';

const LEASE_COLUMNS =
  'export_id AS "exportId", feed, part AS partition, owner, expires_at AS "expiresAt", acquired_at AS "acquiredAt"';
const SQL = {
  // ONE statement per call. A key is taken when free, expired, or already ours (a renewal keeps its acquired_at).
  // Two processes claiming the same key serialize on its row: the second re-checks the WHERE against the first's
  // committed row, so both can never hold it. RETURNING yields exactly the rows `owner` holds afterwards. Keys come
  // sorted so that processes claiming overlapping sets lock rows in the same order (no deadlock).
  claim:
    'INSERT INTO leases (export_id, feed, part, owner, expires_at, acquired_at) ' +
    'SELECT k.export_id, k.feed, k.part, $4, $5, $6 ' +
    'FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(export_id, feed, part, ord) ORDER BY k.ord ' +
    'ON CONFLICT (export_id, feed, part) DO UPDATE SET ' +
    'acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END, ' +
    'owner = excluded.owner, expires_at = excluded.expires_at ' +
    'WHERE leases.owner = excluded.owner OR leases.expires_at <= $6 ' +
    `RETURNING ${LEASE_COLUMNS}`,
  release:
    'DELETE FROM leases l USING unnest($1::text[], $2::text[], $3::int[]) AS k(export_id, feed, part) ' +
    'WHERE l.export_id = k.export_id AND l.feed = k.feed AND l.part = k.part AND l.owner = $4',
  listAll: `SELECT ${LEASE_COLUMNS} FROM leases ORDER BY export_id, feed, part`,
  listExport: `SELECT ${LEASE_COLUMNS} FROM leases WHERE export_id = $1 ORDER BY feed, part`,
  heartbeat:
    'INSERT INTO processes (owner, role, last_seen) VALUES ($1, $2, $3) ' +
    'ON CONFLICT (owner) DO UPDATE SET role = excluded.role, ' +
    'last_seen = GREATEST(processes.last_seen, excluded.last_seen)',
  live: 'SELECT owner, role, last_seen AS "lastSeen" FROM processes WHERE last_seen >= $1 ORDER BY owner',
  getMeta: 'SELECT value FROM meta WHERE key = $1',
  setMeta: 'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

const keyOf = (k: LeaseKey): string => JSON.stringify([k.exportId, k.feed, k.partition]);

/** Each key once (one statement may not update a row twice), in one order for every process. */
function sortedUnique(keys: readonly LeaseKey[]): LeaseKey[] {
  const byKey = new Map(keys.map((k) => [keyOf(k), k]));
  return [...byKey.values()].sort(
    (a, b) =>
      (a.exportId < b.exportId ? -1 : a.exportId > b.exportId ? 1 : 0) ||
      (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0) ||
      a.partition - b.partition,
  );
}

const columns = (keys: readonly LeaseKey[]): unknown[] => [
  keys.map((k) => k.exportId),
  keys.map((k) => k.feed),
  keys.map((k) => k.partition),
];

/** Leases, process heartbeats and meta. */
export function makeLeases(db: Db) {
  return {
    async claimLeases(owner: string, keys: readonly LeaseKey[], now: number, ttlMs: number): Promise<Lease[]> {
      if (keys.length === 0) return [];
      const asked = sortedUnique(keys);
      const held = await db.query<Lease>(SQL.claim, [...columns(asked), owner, now + ttlMs, now]);
      // Answer in the order asked.
      const order = new Map<string, number>();
      keys.forEach((k, i) => {
        if (!order.has(keyOf(k))) order.set(keyOf(k), i);
      });
      return held.sort((a, b) => order.get(keyOf(a))! - order.get(keyOf(b))!);
    },
    async releaseLeases(owner: string, keys: readonly LeaseKey[]): Promise<void> {
      if (keys.length === 0) return;
      await db.query(SQL.release, [...columns(keys), owner]);
    },
    listLeases: (exportId?: string): Promise<Lease[]> =>
      exportId === undefined ? db.query<Lease>(SQL.listAll) : db.query<Lease>(SQL.listExport, [exportId]),
    heartbeat: async (owner: string, now: number, role: string): Promise<void> =>
      void (await db.query(SQL.heartbeat, [owner, role, now])),
    liveProcesses: (sinceMs: number): Promise<{ owner: string; role: string; lastSeen: number }[]> =>
      db.query(SQL.live, [sinceMs]),
    getMeta: async (key: string): Promise<string | null> =>
      (await db.query<{ value: string }>(SQL.getMeta, [key]))[0]?.value ?? null,
    setMeta: async (key: string, value: string): Promise<void> => void (await db.query(SQL.setMeta, [key, value])),
  };
}
