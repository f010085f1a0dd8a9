import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { configure, DEFAULT_CACHE_MB } from '../../src/store/sqlite/index.js';

/** The memory settings of the embedded store and of delivery, as an operator sets them. */
describe('memory settings', () => {
  it('CURRENTS_SQLITE_CACHE_MB sizes the page cache of the connection (default 16 MiB)', () => {
    expect(loadConfig({}, {}).sqliteCacheMb).toBe(DEFAULT_CACHE_MB);
    expect(DEFAULT_CACHE_MB).toBe(16);
    const config = loadConfig({}, { CURRENTS_SQLITE_CACHE_MB: '48' });
    expect(config.sqliteCacheMb).toBe(48);
    const dir = mkdtempSync(join(tmpdir(), 'currents-cache-'));
    const path = join(dir, 'currents.db');
    const db = new Database(path);
    try {
      configure(db, { path, cacheSizeMb: config.sqliteCacheMb });
      // Negative: KiB rather than pages.
      expect(db.pragma('cache_size', { simple: true })).toBe(-48 * 1024);
      configure(db, { path });
      expect(db.pragma('cache_size', { simple: true })).toBe(-16 * 1024);
      // No memory-mapped I/O: an I/O error on a mapped page would kill the process, and mapped pages count as its own.
      expect(db.pragma('mmap_size', { simple: true })).toBe(0);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => loadConfig({}, { CURRENTS_SQLITE_CACHE_MB: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { CURRENTS_SQLITE_CACHE_MB: '0' })).toThrow(/CURRENTS_SQLITE_CACHE_MB/);
  });

  it('CURRENTS_IDLE_RELEASE_MS is how long the service must be quiet before it gives memory back (default 5 s; 0: never)', () => {
    expect(loadConfig({}, {}).idleReleaseMs).toBe(5_000);
    expect(loadConfig({}, { CURRENTS_IDLE_RELEASE_MS: '0' }).idleReleaseMs).toBe(0);
    expect(loadConfig({}, { CURRENTS_IDLE_RELEASE_MS: '60000' }).idleReleaseMs).toBe(60_000);
    expect(() => loadConfig({}, { CURRENTS_IDLE_RELEASE_MS: '-1' })).toThrow(/CURRENTS_IDLE_RELEASE_MS/);
  });

  it('CURRENTS_DELIVERY_BUFFER_MB is the bytes of stored events all senders hold at once (default 16 MiB)', () => {
    expect(loadConfig({}, {}).delivery.bufferBytes).toBe(16 * 2 ** 20);
    expect(loadConfig({}, { CURRENTS_DELIVERY_BUFFER_MB: '2.5' }).delivery.bufferBytes).toBe(2.5 * 2 ** 20);
    expect(() => loadConfig({}, { CURRENTS_DELIVERY_BUFFER_MB: '-1' })).toThrow(/CURRENTS_DELIVERY_BUFFER_MB/);
  });
});
