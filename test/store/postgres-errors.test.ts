import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/port.js';
import { fromPg } from '../../src/store/postgres/errors.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { describeTarget } from '../../src/store/postgres/pool.js';
import { events, readAll } from './contract/fixtures.js';
import { admin, openTestStore, pgUnavailable, TEST_DATABASE_URL, type TestStore } from './postgres-helper.js';

const silent = pino({ level: 'silent' });

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('postgres store errors (no server needed)', () => {
  it.each([
    ['57P01', /connection to the server was lost/],
    ['53300', /max_connections/],
    ['53100', /disk is full/],
    ['25006', /read-only.*primary/],
    ['08006', /connection to the server was lost/],
    ['53999', /short of resources/],
  ])('maps SQLSTATE %s to StoreUnavailableError', (code, message) => {
    const cause = Object.assign(new Error('server said no'), { code });
    const e = fromPg(cause, 'db.internal:5432/currents');
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(code);
    expect(e.cause).toBe(cause);
    expect((e as StoreUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
  });

  it('maps refused, reset and terminated connections, and leaves other errors alone', () => {
    for (const cause of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Connection terminated unexpectedly'),
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })], 'all failed'),
    ]) {
      expect(fromPg(cause, 'h:1/db')).toBeInstanceOf(StoreUnavailableError);
    }
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect(fromPg(unique, 'h:1/db')).toBe(unique);
    expect(fromPg('text', 'h:1/db')).toBeInstanceOf(Error);
  });

  it('names the server without its password', () => {
    expect(describeTarget('postgres://app:s3cret@db.internal:6543/currents?sslmode=require')).toBe(
      'db.internal:6543/currents',
    );
    expect(describeTarget('host=db user=app password=s3cret')).toBe('the configured database');
  });
});

describe.skipIf(pgUnavailable !== null)('postgres store errors', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const open = async (): Promise<TestStore> => {
    const t = await openTestStore({ partitionSize: 1000 });
    cleanups.push(t.cleanup);
    return t;
  };
  /** A login role of its own, dropped (with its grants) after the test. */
  async function role(setup: string): Promise<string> {
    const name = `currents_r_${randomBytes(4).toString('hex')}`;
    await admin(`CREATE ROLE ${name} LOGIN ${setup}`);
    cleanups.push(async () => {
      await admin(`DROP OWNED BY ${name}`);
      await admin(`DROP ROLE ${name}`);
    });
    return name;
  }
  const urlAs = (user: string): string => {
    const url = new URL(TEST_DATABASE_URL);
    url.username = user;
    url.password = '';
    return url.toString();
  };

  it('fails to open with StoreUnavailableError when nothing listens, without the password in the message', async () => {
    const port = await closedPort();
    const opening = openPostgresStore({
      connectionString: `postgres://postgres:s3cret@127.0.0.1:${port}/test`,
      logger: silent,
    });
    await expect(opening).rejects.toBeInstanceOf(StoreUnavailableError);
    const error = (await opening.catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error.message).toMatch(/cannot be reached/);
    expect(error.message).not.toContain('s3cret');
    expect(JSON.stringify(error.cause)).toMatch(/ECONNREFUSED/);
  });

  it('answers StoreUnavailableError when the server has no connection slot for it', async () => {
    const user = await role('CONNECTION LIMIT 0');
    const opening = openPostgresStore({ connectionString: urlAs(user), logger: silent });
    await expect(opening).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(opening).rejects.toThrow(/53300/);
  });

  it('opens on a read-only server but says so: ping and appends fail with StoreUnavailableError', async () => {
    const { store, schema } = await open();
    await store.append(events(3));
    const user = await role('');
    await admin(`GRANT USAGE ON SCHEMA ${schema} TO ${user}`);
    await admin(`GRANT ALL ON ALL TABLES IN SCHEMA ${schema} TO ${user}`);
    await admin(`ALTER ROLE ${user} SET default_transaction_read_only = on`);
    const readOnly = await openPostgresStore({ connectionString: urlAs(user), schema, logger: silent });
    cleanups.push(() => readOnly.close());
    expect((await readOnly.stats()).events).toBe(3);
    await expect(readOnly.ping()).rejects.toThrow(/read-only/);
    const appending = readOnly.append(events(1));
    await expect(appending).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(appending).rejects.toThrow(/25006/);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('takes a row no partition of the log takes as room to make: it tries again, writes nothing, says so', async () => {
    const { store, schema } = await open();
    await store.append(events(3));
    // The chunk the next seqs go to, recorded as made but not in the log: what an append sees when a partition
    // another process has just attached is not yet in its session's view of the log.
    const [head] = await admin<{ name: string; lo: number; hi: number }>(
      `SELECT name, lo, hi FROM ${schema}.log_partitions ` +
        `WHERE lo <= (SELECT next_seq FROM ${schema}.log_state) AND hi > (SELECT next_seq FROM ${schema}.log_state)`,
    );
    await admin(`ALTER TABLE ${schema}.event_log DETACH PARTITION ${schema}.${head!.name}`);
    await expect(store.append(events(2))).rejects.toThrow(/kept running out of partitions; retry the append/);
    await admin(
      `ALTER TABLE ${schema}.event_log ATTACH PARTITION ${schema}.${head!.name} FOR VALUES FROM (${head!.lo}) TO (${head!.hi})`,
    );
    // Back in view, the same kind of append goes in at once; the refused one left nothing behind.
    expect((await store.append(events(2, (i) => ({ eventId: `again-${i}` })))).stored).toBe(2);
    expect((await store.stats()).events).toBe(5);
  });

  it('survives its backends being terminated mid-work, and works again at once', async () => {
    const { store, schema } = await open();
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let running = true;
    const lane = async (s: Store): Promise<void> => {
      while (running) {
        const batch = events(20, (i) => ({ partition: i % 2 }));
        try {
          await s.append(batch);
          acknowledged.push(...batch.map((e) => e.eventId));
          await s.read({ partition: 0, afterSeq: 0, limit: 50 });
        } catch (e) {
          failures.push(e);
          // Yield to timers: a store that fails at once would otherwise starve the rest of the test.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const lanes = Promise.all([lane(store), lane(store), lane(store), lane(store)]);
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        // On a loaded machine the lanes may be between connections at this instant: look again until one is there.
        let killed: { pid: number }[] = [];
        for (const deadline = Date.now() + 10_000; killed.length === 0 && Date.now() < deadline;) {
          killed = await admin<{ pid: number }>(
            'SELECT pg_terminate_backend(pid) AS ok, pid FROM pg_stat_activity WHERE application_name = $1',
            [`currents:${schema}`],
          );
          if (killed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(killed.length).toBeGreaterThan(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    } finally {
      // Stop the lanes even when an expectation failed: left running, they would keep the test worker busy for ever.
      running = false;
      await lanes;
    }

    for (const f of failures) expect(f).toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).resolves.toBeUndefined();
    expect((await store.append(events(5))).stored).toBe(5);
    // Every acknowledged event is there (a failed call may or may not have committed; it is retried by its caller).
    const stored = new Set(
      [...(await readAll(store, { partition: 0 })).rows, ...(await readAll(store, { partition: 1 })).rows].map(
        (r) => r.eventId,
      ),
    );
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
