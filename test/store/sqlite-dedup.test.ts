import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { FingerprintIndex, fingerprint } from '../../src/store/sqlite/fingerprints.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { loadMigrations, migrate } from '../../src/store/sqlite/migrate.js';
import { events, newEvent } from './contract/fixtures.js';

describe('fingerprint index', () => {
  it('behaves as a multimap under any sequence of adds and removes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Few distinct fingerprints and a tiny table: long clusters, collisions and wrap-around.
            fp: fc.integer({ min: 1, max: 40 }),
            // Now and then a seq past 32 bits (a log of over four billion events): the table widens its seqs.
            seq: fc.oneof(
              { weight: 9, arbitrary: fc.integer({ min: 1, max: 30 }) },
              { weight: 1, arbitrary: fc.constantFrom(2 ** 32 - 1, 2 ** 32, 2 ** 32 + 7, 2 ** 45 + 3) },
            ),
            add: fc.boolean(),
          }),
          { maxLength: 300 },
        ),
        (ops) => {
          const index = new FingerprintIndex(4);
          const model = new Map<number, number[]>();
          for (const { fp, seq, add } of ops) {
            const list = model.get(fp) ?? [];
            if (add) {
              index.add(fp, seq);
              model.set(fp, [...list, seq]);
            } else if (list.includes(seq)) {
              index.remove(fp, seq);
              list.splice(list.indexOf(seq), 1);
              model.set(fp, list);
            }
          }
          for (let fp = 1; fp <= 40; fp++) {
            // Every seq comes back whole, whichever width the table holds it in.
            expect(index.candidates(fp).sort((a, b) => a - b)).toEqual((model.get(fp) ?? []).sort((a, b) => a - b));
          }
          expect(index.size).toBe([...model.values()].reduce((n, l) => n + l.length, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fingerprints are stable 32-bit values, never 0', () => {
    expect(fingerprint('3c6f1e2a-5b7d-4e21-9f0a-1b2c3d4e5f60')).toBe(
      fingerprint('3c6f1e2a-5b7d-4e21-9f0a-1b2c3d4e5f60'),
    );
    for (const id of ['', 'a', 'é', '3c6f1e2a-5b7d-4e21-9f0a-1b2c3d4e5f60']) {
      const fp = fingerprint(id);
      expect(Number.isInteger(fp) && fp > 0 && fp < 2 ** 32).toBe(true);
    }
  });
});

describe('sqlite dedup of event ids', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function file(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'currents-dedup-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return join(dir, 'currents.db');
  }
  async function open(path: string): Promise<Store> {
    const store = await openSqliteStore({ path });
    cleanups.push(() => store.close());
    return store;
  }

  it('keeps both events whose different ids share a fingerprint, and still drops their repeats', async () => {
    const byFp = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const id = `evt-${i}`;
      const other = byFp.get(fingerprint(id));
      if (other !== undefined) pair = [other, id];
      else byFp.set(fingerprint(id), id);
    }
    const store = await open(await file());
    const [a, b] = pair.map((eventId) => newEvent({ eventId }));
    expect((await store.append([a!])).stored).toBe(1);
    expect((await store.append([b!])).stored).toBe(1);
    expect(await store.append([a!, b!])).toMatchObject({ stored: 0, duplicateIndexes: [0, 1] });
  });

  it('sees ids appended by another connection to the same file (a CLI import beside the server)', async () => {
    const path = await file();
    const server = await open(path);
    const importer = await open(path);
    const evs = events(4);
    await server.append(evs.slice(0, 2));
    expect(await importer.append(evs.slice(0, 3))).toMatchObject({ stored: 1, duplicateIndexes: [0, 1] });
    expect(await server.append(evs)).toMatchObject({ stored: 1, duplicateIndexes: [0, 1, 2] });
    expect((await server.stats()).events).toBe(4);
  });

  it('takes an event again once retention removed its first copy', async () => {
    const store = await open(await file());
    const old = newEvent({ receivedAt: 1000 });
    await store.append([old]);
    expect(await store.applyRetention(2000)).toBe(1);
    expect((await store.append([{ ...old, receivedAt: 3000 }])).stored).toBe(1);
    expect((await store.append([old])).stored).toBe(0);
  });

  it('recognises ids written before fingerprints existed (schema 001) once migrated', async () => {
    const path = await file();
    const db = new Database(path);
    migrate(db, loadMigrations().slice(0, 1));
    const e = newEvent();
    db.prepare(
      'INSERT INTO event_log (event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(e.eventId, e.type, e.partition, e.externalUserId, e.platform, e.appId, e.time, e.receivedAt, e.payload);
    db.close();
    const store = await open(path);
    expect(await store.append([e, newEvent()])).toMatchObject({ stored: 1, duplicateIndexes: [0] });
  });
});
