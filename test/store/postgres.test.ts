import { describe } from 'vitest';
import { describeStoreContract } from './contract.js';
import { openTestStore, pgUnavailable } from './postgres-helper.js';

// Partitions of 1000 seqs, so that the contract's larger logs span several of them and retention drops some.
describe.skipIf(pgUnavailable !== null)('postgres', () => {
  describeStoreContract('postgres', async () => {
    const opened = await openTestStore({ partitionSize: 1000 });
    return {
      ...opened,
      another: async () => (await openTestStore({ schema: opened.schema, partitionSize: 1000 })).store,
    };
  });
});
