import { describe } from 'vitest';
import { describeDelivery } from './contract/delivery.js';
import type { StoreFactory } from './contract/fixtures.js';
import { useFreshStore } from './contract/fixtures.js';
import { describeHistory } from './contract/history.js';
import { describeLeases } from './contract/leases.js';
import { describeLog } from './contract/log.js';
import { describeRead } from './contract/read.js';
import { describeRecords } from './contract/records.js';
import { describeRetention } from './contract/retention.js';
import { describeSourceObjects } from './contract/source-objects.js';
import { describeSources } from './contract/sources.js';
import { describeTeam } from './contract/team.js';

export type { StoreFactory } from './contract/fixtures.js';

/**
 * The behaviour every store adapter owes the rest of the service, written against the port only. An adapter's test
 * file calls this with a factory that gives a fresh, empty store per test (a new SQLite file, a new PostgreSQL
 * schema) and a cleanup that closes and removes it.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const ctx = useFreshStore(factory);
    describeLog(ctx);
    describeRead(ctx);
    describeRetention(ctx);
    describeRecords(ctx);
    describeDelivery(ctx);
    describeHistory(ctx);
    describeLeases(ctx);
    describeSources(ctx);
    describeSourceObjects(ctx);
    describeTeam(ctx);
  });
}
