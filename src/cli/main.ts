#!/usr/bin/env -S node --max-semi-space-size=64
import { Command } from 'commander';
import { registerExports } from './exports.js';
import { registerImport } from './import.js';
import { registerQuarantine } from './quarantine.js';
import { registerSandbox } from './sandbox.js';
import { registerSources } from './sources.js';
import { registerServe } from './serve.js';
import { registerTeam } from './team.js';
import { registerTrace } from './trace.js';
import { openImportSink, storeOptions } from './store-access.js';
import { packageVersion } from '../version.js';

/**
 * The `currents` command. The shebang (and `npm start`) give V8 a young generation of 64 MiB: delivery allocates
 * a lot of short-lived objects per event, and with Node's default more of them were promoted and collected late
 * (GC took a sixth of the time; measured with bench/e2e.ts, about 15% more events per second with the larger one).
 * Each subcommand lives in its own module under src/cli/ and registers itself here; the
 * modules stay thin and call into the rooms (ingest, store, delivery, server, sandbox).
 */
const program = new Command();
program
  .name('currents')
  .description('Stream Braze Currents events into mParticle: ingest, keep, export.')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError();

registerServe(program);
registerImport(program, { openSink: openImportSink, options: storeOptions });
registerQuarantine(program);
registerExports(program);
registerSources(program);
registerTrace(program);
registerTeam(program);
registerSandbox(program);

await program.parseAsync(process.argv);
