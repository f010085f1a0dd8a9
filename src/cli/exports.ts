import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { SecretBox } from '../secrets.js';
import { parse } from '../server/api.js';
import { HttpError } from '../server/errors.js';
import { createExportBody, patchExportBody } from '../server/exports/schemas.js';
import { applyPatch, buildExport, changeExport, checkSources, exportJson } from '../server/exports/service.js';
import { exportStatus } from '../server/exports/status.js';
import { checkSecretKey, ensureKeys } from '../server/keys.js';
import type { Store } from '../store/port.js';
import type { ExportRecord, Transformation } from '../types.js';
import { registerReplayCommands } from './replays.js';
import { formatExportStatus } from './status-text.js';
import { openFromFlags, storeOptions } from './store-access.js';
import { diff, EMPTY } from '../server/team/audit.js';
import { exportSnapshot } from '../server/team/snapshots.js';
import { cliAudit } from './team.js';
import { applyTransformFlags, hasTransformFlags, transformOptions, type TransformFlags } from './transform-flags.js';

/**
 * `currents exports create|list|show|update|pause|resume|delete|status` (and `replay`, `replays`: replays.ts): the exports API from the command line, on
 * the store itself (the same validation and encryption as the HTTP API). A running service notices the change within
 * a couple of seconds.
 */
export function registerExports(program: Command): void {
  const group = program.command('exports').description('create and manage exports to mParticle ("Currents")');

  const withStore = async (
    flags: Flags,
    work: (ctx: { store: Store; secrets: SecretBox }) => Promise<unknown>,
  ): Promise<void> => {
    const { config, store } = await openFromFlags(flags);
    try {
      const keys = ensureKeys(config);
      for (const g of keys.generated) {
        // First use of this data folder: say what was generated, once, as `currents serve` would.
        process.stderr.write(
          g.value === null
            ? `Generated the ${g.name}, kept in ${g.file}\n`
            : `Generated ${g.name}: ${g.value}  (kept in ${g.file})\n`,
        );
      }
      await checkSecretKey(store, keys.secretKey);
      const result = await work({ store, secrets: new SecretBox(keys.secretKey) });
      if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      const warnings = (result as { warnings?: unknown } | undefined)?.warnings;
      if (Array.isArray(warnings)) for (const w of warnings) process.stderr.write(`warning: ${String(w)}\n`);
    } catch (e) {
      if (e instanceof HttpError) {
        process.stderr.write(`currents exports: ${e.message}\n`);
        process.exitCode = 1;
        return;
      }
      throw e;
    } finally {
      await store.close();
    }
  };

  const load = async (store: Store, id: string): Promise<ExportRecord> => {
    const record = await store.getExport(id);
    if (record === null)
      throw new HttpError(404, 'not_found', `no export with id ${id}; "currents exports list" lists them`);
    return record;
  };

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

  transformOptions(storeOptions(group.command('create')), false)
    .description('create an export from a JSON file (the body of POST /v1/exports)')
    .requiredOption('--file <path>', 'export.json')
    .action((flags: Flags & TransformFlags & { file: string }) =>
      withStore(flags, async ({ store, secrets }) => {
        const raw = withTransformFlags(readJson(flags.file), [], flags);
        const body = parse(createExportBody, raw, flags.file);
        const record = await buildExport(body, { store, secrets, now: Date.now() });
        await store.createExport(record);
        await cliAudit(store, {
          action: 'export.create',
          targetKind: 'export',
          targetId: record.id,
          changes: diff(EMPTY, exportSnapshot(record)),
        });
        return exportJson(record);
      }),
    );

  transformOptions(storeOptions(group.command('update')), true)
    .description('change an export from a JSON file (the body of PATCH /v1/exports/:id) and/or transformation flags')
    .argument('<id>')
    .option('--file <path>', 'changes.json')
    .action((id: string, flags: Flags & TransformFlags & { file?: string }) =>
      withStore(flags, async ({ store, secrets }) => {
        if (flags.file === undefined && !hasTransformFlags(flags)) {
          throw new HttpError(
            400,
            'invalid_request',
            'give --file <changes.json>, or --hash, --remove or --keep <field>',
          );
        }
        const current = await load(store, id);
        const raw = withTransformFlags(
          flags.file === undefined ? {} : readJson(flags.file),
          current.transformations ?? [],
          flags,
        );
        const body = parse(patchExportBody, raw, flags.file ?? 'the flags');
        const sources = await checkSources(store, body.sources ?? undefined);
        const patch = body.sources === undefined || body.sources === null ? body : { ...body, sources };
        let before = current;
        const record = await changeExport(store, id, (latest) => {
          before = latest;
          return applyPatch(latest, patch, secrets, Date.now());
        });
        await cliAudit(store, {
          action: 'export.update',
          targetKind: 'export',
          targetId: id,
          changes: diff(exportSnapshot(before), exportSnapshot(record)),
        });
        return exportJson(record);
      }),
    );

  /** The body with the transformation flags laid over its own list, else over `base` (the export's list). */
  const withTransformFlags = (body: unknown, base: readonly Transformation[], flags: TransformFlags): unknown => {
    if (!hasTransformFlags(flags) || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const own = (body as { transformations?: unknown }).transformations;
    if (own !== undefined && !Array.isArray(own)) return body;
    const list = own === undefined ? base : (own as Transformation[]);
    return { ...body, transformations: applyTransformFlags(list, flags) };
  };

  storeOptions(group.command('list'))
    .description('list exports (secrets show only as set)')
    .action((flags: Flags) => withStore(flags, async ({ store }) => (await store.listExports()).map(exportJson)));

  storeOptions(group.command('show'))
    .argument('<id>')
    .action((id: string, flags: Flags) => withStore(flags, async ({ store }) => exportJson(await load(store, id))));

  storeOptions(group.command('status'))
    .description('a summary: state, feeds, backlog, what became of the events, lag, last error (--json: everything)')
    .argument('<id>')
    .option('--json', 'print the whole status as JSON (as GET /v1/exports/:id/status)')
    .action((id: string, flags: Flags & { json?: boolean }) =>
      withStore(flags, async ({ store }) => {
        const status = await exportStatus(await load(store, id), store, Date.now());
        if (flags.json === true) return status;
        process.stdout.write(formatExportStatus(status));
        return undefined;
      }),
    );

  for (const action of ['pause', 'resume'] as const) {
    storeOptions(group.command(action))
      .argument('<id>')
      .action((id: string, flags: Flags) =>
        withStore(flags, async ({ store }) => {
          let before = await load(store, id);
          const record = await changeExport(store, id, (current) => {
            before = current;
            return {
              ...current,
              state: action === 'pause' ? 'paused' : 'active',
              updatedAt: Math.max(Date.now(), current.updatedAt + 1),
            };
          });
          await cliAudit(store, {
            action: `export.${action}`,
            targetKind: 'export',
            targetId: id,
            changes: diff(exportSnapshot(before), exportSnapshot(record)),
          });
          return exportJson(record);
        }),
      );
  }

  storeOptions(group.command('delete'))
    .description('delete an export; its hold on the log is released')
    .argument('<id>')
    .action((id: string, flags: Flags) =>
      withStore(flags, async ({ store }) => {
        const before = await load(store, id);
        await store.deleteExport(id);
        await cliAudit(store, {
          action: 'export.delete',
          targetKind: 'export',
          targetId: id,
          changes: diff(exportSnapshot(before), EMPTY),
        });
        process.stdout.write(`deleted ${id}\n`);
        return undefined;
      }),
    );

  registerReplayCommands(group);
}
