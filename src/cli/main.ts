#!/usr/bin/env node
import { Command } from 'commander';
import { registerImport } from './import.js';
import { registerQuarantine } from './quarantine.js';
import { registerSandbox } from './sandbox.js';
import { registerServe } from './serve.js';
import { openImportSink, storeOptions } from './store-access.js';

/**
 * The `currents` command. Each subcommand lives in its own module under src/cli/ and registers itself here; the
 * modules stay thin and call into the rooms (ingest, store, delivery, server, sandbox).
 */
const program = new Command();
program
  .name('currents')
  .description('Stream Braze Currents events into mParticle: ingest, keep, export.')
  .showHelpAfterError();

registerServe(program);
registerImport(program, { openSink: openImportSink, options: storeOptions });
registerQuarantine(program);
registerSandbox(program);

await program.parseAsync(process.argv);
