import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { SecretBox } from '../secrets.js';
import { parse } from '../server/api.js';
import { HttpError } from '../server/errors.js';
import { checkSecretKey, ensureKeys } from '../server/keys.js';
import {
  createSource,
  loadSource,
  newSourceToken,
  patchSource,
  removeSource,
  setSourceState,
} from '../server/sources/actions.js';
import { createSourceBody } from '../server/sources/schemas.js';
import { sourceJson } from '../server/sources/service.js';
import { sourceFigures, sourceStatus } from '../server/sources/status.js';
import type { Store } from '../store/port.js';
import { openFromFlags, storeOptions } from './store-access.js';
import { diff, EMPTY } from '../server/team/audit.js';
import { sourceSnapshot } from '../server/team/snapshots.js';
import type { SourceRecord } from '../types.js';
import { cliAudit } from './team.js';

/**
 * `currents sources create|update|list|show|status|pause|resume|token|delete`: the sources API from the command
 * line, on the store itself (the same validation, encryption and rules as the HTTP API). A running service sees a
 * change within two seconds. A new http source's token is printed once, at creation (and by `token`).
 */
export function registerSources(program: Command): void {
  const group = program
    .command('sources')
    .description('create and manage sources: Braze workspaces pushing over HTTP, or buckets in S3, Azure Blob, GCS');

  const withStore = async (
    flags: Flags,
    work: (ctx: { store: Store; secrets: SecretBox }) => Promise<unknown>,
  ): Promise<void> => {
    const { config, store } = await openFromFlags(flags);
    try {
      const keys = ensureKeys(config);
      for (const g of keys.generated) {
        process.stderr.write(
          g.value === null
            ? `Generated the ${g.name}, kept in ${g.file}\n`
            : `Generated ${g.name}: ${g.value}  (kept in ${g.file})\n`,
        );
      }
      await checkSecretKey(store, keys.secretKey);
      const result = await work({ store, secrets: new SecretBox(keys.secretKey) });
      if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } catch (e) {
      if (e instanceof HttpError) {
        process.stderr.write(`currents sources: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw e;
    } finally {
      await store.close();
    }
  };

  const audited = (store: Store, action: string, id: string, before: SourceRecord | null, after: SourceRecord | null) =>
    cliAudit(store, {
      action,
      targetKind: 'source',
      targetId: id,
      changes: diff(before === null ? EMPTY : sourceSnapshot(before), after === null ? EMPTY : sourceSnapshot(after)),
    });

  const load = (store: Store, id: string) => loadSource(store, id, '"currents sources list"');

  const readJson = (file: string): unknown => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch (e) {
      throw new HttpError(
        400,
        'bad_file',
        `cannot read ${file} as JSON: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };

  const tokenNotice = (id: string) =>
    process.stderr.write(
      `The token of source ${id} is shown this once: keep it now (Braze's Current takes it as its API key). ` +
        `"currents sources token ${id}" gives it a new one.\n`,
    );

  storeOptions(group.command('create'))
    .description('create a source from a JSON file (the body of POST /v1/sources)')
    .requiredOption('--file <path>', 'source.json')
    .action((flags: Flags & { file: string }) =>
      withStore(flags, async ({ store, secrets }) => {
        const body = parse(createSourceBody, readJson(flags.file), flags.file);
        const { record, token } = await createSource(store, body, { secrets, now: Date.now() });
        await audited(store, 'source.create', record.id, null, record);
        if (token !== null) tokenNotice(record.id);
        return { ...sourceJson(record), ...(token !== null ? { token } : {}) };
      }),
    );

  storeOptions(group.command('update'))
    .description("change a source from a JSON file (the body of PATCH /v1/sources/:id: its kind's settings)")
    .argument('<id>')
    .requiredOption('--file <path>', 'changes.json')
    .action((id: string, flags: Flags & { file: string }) =>
      withStore(flags, async ({ store, secrets }) => {
        const record = await load(store, id);
        const body = readJson(flags.file);
        const after = await patchSource(store, record, body, { secrets, now: Date.now(), where: flags.file });
        await audited(store, 'source.update', id, record, after);
        return sourceJson(after);
      }),
    );

  storeOptions(group.command('list'))
    .description('list sources, with what each received and its lag (secrets show only as set)')
    .action((flags: Flags) =>
      withStore(flags, async ({ store }) => {
        const [records, totals] = await Promise.all([store.listSources(), store.sourceTotals()]);
        const now = Date.now();
        return Promise.all(
          records.map(async (r) => ({
            ...sourceJson(r),
            ...sourceFigures(
              totals.find((t) => t.source === r.id),
              await store.getSourceStatus(r.id),
              now,
            ),
          })),
        );
      }),
    );

  storeOptions(group.command('show'))
    .argument('<id>')
    .action((id: string, flags: Flags) => withStore(flags, async ({ store }) => sourceJson(await load(store, id))));

  storeOptions(group.command('status'))
    .description('what it received and when, its lag, its last error, and the exports taking its events')
    .argument('<id>')
    .action((id: string, flags: Flags) =>
      withStore(flags, async ({ store }) => sourceStatus(await load(store, id), store, Date.now())),
    );

  for (const action of ['pause', 'resume'] as const) {
    storeOptions(group.command(action))
      .description(
        action === 'pause' ? 'refuse its pushes (503, Braze retries) and stop polling it' : 'take its events again',
      )
      .argument('<id>')
      .action((id: string, flags: Flags) =>
        withStore(flags, async ({ store }) => {
          const state = action === 'pause' ? 'paused' : 'active';
          const before = await load(store, id);
          const after = await setSourceState(store, before, state, Date.now());
          await audited(store, `source.${action}`, id, before, after);
          return sourceJson(after);
        }),
      );
  }

  storeOptions(group.command('token'))
    .description('give an http source a new own token, printed once; the old one stops working')
    .argument('<id>')
    .action((id: string, flags: Flags) =>
      withStore(flags, async ({ store }) => {
        const before = await load(store, id);
        const { record: after, token } = await newSourceToken(store, before, Date.now());
        await audited(store, 'source.token', id, before, after);
        tokenNotice(id);
        return { id, token };
      }),
    );

  storeOptions(group.command('delete'))
    .description('delete a source: it takes no more events; the log keeps those it sent and its id stays reserved')
    .argument('<id>')
    .action((id: string, flags: Flags) =>
      withStore(flags, async ({ store }) => {
        const before = await load(store, id);
        await removeSource(store, before, Date.now());
        await audited(store, 'source.delete', id, before, null);
        process.stdout.write(`deleted ${id}\n`);
        return undefined;
      }),
    );
}
