import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { StoreConfigError } from '../../src/store/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { checkSecretKey } from '../../src/server/keys.js';

describe('keys shared by every process', () => {
  it('with a database URL, refuses to generate tokens and keys per machine and names what to set', () => {
    const run = () =>
      loadConfig({}, { DATABASE_URL: 'postgres://u@db:5432/currents', CURRENTS_ADMIN_TOKEN: 'a'.repeat(20) });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/CURRENTS_INGEST_TOKEN, CURRENTS_SECRET_KEY/);
    const ok = loadConfig(
      {},
      {
        DATABASE_URL: 'postgres://u@db:5432/currents',
        CURRENTS_ADMIN_TOKEN: 'a'.repeat(20),
        CURRENTS_INGEST_TOKEN: 'i'.repeat(20),
        CURRENTS_SECRET_KEY: 's'.repeat(20),
        CURRENTS_DATABASE_SCHEMA: 'currents_prod',
      },
    );
    expect(ok.database.schema).toBe('currents_prod');
  });

  it('refuses to start with another secret key than the one the store was set up with', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'currents-keys-'));
    const store = await openSqliteStore({ path: join(dir, 'currents.db') });
    try {
      await checkSecretKey(store, 'the-first-secret-key-0123');
      await checkSecretKey(store, 'the-first-secret-key-0123');
      await expect(checkSecretKey(store, 'another-secret-key-45678')).rejects.toBeInstanceOf(StoreConfigError);
      await expect(checkSecretKey(store, 'another-secret-key-45678')).rejects.toThrow(/CURRENTS_SECRET_KEY/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
