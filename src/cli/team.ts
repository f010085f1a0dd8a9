import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { auditJson } from '../server/routes/audit.js';
import { tokenJson, tokenName, tokenRole } from '../server/routes/tokens.js';
import { AuditLog, type AuditFact } from '../server/team/audit.js';
import { mintToken } from '../server/team/registry.js';
import { ConflictError } from '../store/errors.js';
import type { Store } from '../store/port.js';
import { openFromFlags, storeOptions } from './store-access.js';

/**
 * `currents tokens create|list|revoke` and `currents audit`, on the store itself (a running service sees a new or
 * revoked token on its next request). Changes made here are in the audit log under `cli (<user>)`.
 */

/** Who the audit log names for a change made from this command line. */
export function cliName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user entry (a container with an arbitrary uid): still recorded, as unknown.
  }
  return `cli (${user})`;
}

/** Record a change made from the command line (a failure to record is said on stderr; the change stands). */
export async function cliAudit(store: Store, fact: AuditFact): Promise<void> {
  await new AuditLog(store, Date.now, {
    error: (_obj: unknown, msg?: string) => process.stderr.write(`warning: ${msg ?? 'audit log'}\n`),
  }).recordAs(cliName(), fact);
}

async function withStore(flags: Flags, work: (store: Store) => Promise<void>): Promise<void> {
  const { store } = await openFromFlags(flags);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

export function registerTeam(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('named tokens of the admin API and the dashboard, each with a role: viewer, operator or admin');

  storeOptions(tokens.command('create'))
    .description('make a token; its value is printed this once (only its hash is kept)')
    .requiredOption('--name <name>', 'what the audit log calls it, e.g. ci-deploy or alice')
    .requiredOption('--role <role>', 'viewer (reads), operator (also pauses, resumes, replays, retries) or admin')
    .action(async (flags: Flags & { name: string; role: string }) => {
      const name = tokenName.safeParse(flags.name);
      if (!name.success) return fail(`--name: ${name.error.issues[0]!.message}`);
      const role = tokenRole.safeParse(flags.role);
      if (!role.success) return fail(`--role: ${role.error.issues[0]!.message}`);
      // --role here is the token's, not the process role `serve --role` sets: the store settings must not see it.
      const { role: _tokenRole, ...storeFlags } = flags;
      await withStore(storeFlags, async (store) => {
        const { record, value } = mintToken(name.data, role.data, Date.now());
        try {
          await store.createToken(record);
        } catch (e) {
          if (e instanceof ConflictError)
            return fail(`currents tokens: ${e.message.replace('GET /v1/tokens', '"currents tokens list"')}`);
          throw e;
        }
        await cliAudit(store, {
          action: 'token.create',
          targetKind: 'token',
          targetId: record.id,
          changes: [
            { field: 'name', before: null, after: record.name },
            { field: 'role', before: null, after: record.role },
          ],
        });
        process.stderr.write(
          `Token "${record.name}" (${record.role}, id ${record.id}) made. Its value is shown this once: keep it now.\n`,
        );
        process.stdout.write(`${value}\n`);
      });
    });

  storeOptions(tokens.command('list'))
    .description('live tokens: id, name, role, creation and last use (never the token)')
    .option('--json', 'one JSON object per line')
    .action(async (flags: Flags & { json?: boolean }) =>
      withStore(flags, async (store) => {
        const list = (await store.listTokens()).map(tokenJson);
        for (const t of list) {
          process.stdout.write(
            flags.json
              ? `${JSON.stringify(t)}\n`
              : `${t.id}  ${t.role.padEnd(8)}  ${t.name}  made ${t.created_at}  last used ${t.last_used_at ?? 'never'}\n`,
          );
        }
        if (!flags.json) process.stdout.write(`${list.length} live token${list.length === 1 ? '' : 's'}\n`);
      }),
    );

  storeOptions(tokens.command('revoke'))
    .description('revoke a token: refused at once by every service process sharing the store')
    .argument('<id>', 'the token id (tok_...), as "currents tokens list" shows it')
    .action(async (id: string, flags: Flags) =>
      withStore(flags, async (store) => {
        const revoked = await store.revokeToken(id, Date.now());
        if (revoked === null)
          return fail(`currents tokens: no live token with id ${id}; "currents tokens list" lists them`);
        await cliAudit(store, {
          action: 'token.revoke',
          targetKind: 'token',
          targetId: revoked.id,
          detail: { name: revoked.name, role: revoked.role },
        });
        process.stdout.write(`revoked ${revoked.id} ("${revoked.name}", ${revoked.role})\n`);
      }),
    );

  storeOptions(program.command('audit'))
    .description('who changed what and when, newest first (secrets only as "changed")')
    .option('--export <id>', 'only changes of this export')
    .option('--source <id>', 'only changes of this source')
    .option('--since <time>', 'only changes at or after this time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z')
    .option('--limit <n>', 'entries to show', '100')
    .option('--json', 'one JSON object per line')
    .action(
      async (flags: Flags & { export?: string; source?: string; since?: string; limit: string; json?: boolean }) => {
        const since = flags.since === undefined ? undefined : Date.parse(flags.since);
        if (since !== undefined && Number.isNaN(since)) {
          return fail(`--since: give a date and time, e.g. 2026-11-01T09:00:00Z (got "${flags.since}")`);
        }
        const limit = Number(flags.limit);
        if (!Number.isSafeInteger(limit) || limit < 1)
          return fail(`--limit: give a whole number of at least 1 (got "${flags.limit}")`);
        if (flags.export !== undefined && flags.source !== undefined)
          return fail('give --export or --source, not both');
        await withStore(flags, async (store) => {
          const kind = flags.export !== undefined ? 'export' : flags.source !== undefined ? 'source' : undefined;
          const entries = await store.listAudit({
            ...(kind !== undefined ? { targetKind: kind, targetId: (flags.export ?? flags.source)! } : {}),
            ...(since !== undefined ? { since } : {}),
            limit,
          });
          for (const e of entries.map(auditJson)) {
            if (flags.json) {
              process.stdout.write(`${JSON.stringify(e)}\n`);
              continue;
            }
            process.stdout.write(
              `${e.at}  ${e.token}  ${e.action}  ${e.target.kind}${e.target.id ? ` ${e.target.id}` : ''}\n`,
            );
            for (const c of e.changes) {
              process.stdout.write(
                'secret' in c ? `  ${c.field}: changed\n` : `  ${c.field}: ${show(c.before)} → ${show(c.after)}\n`,
              );
            }
          }
          if (!flags.json) process.stdout.write(`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}\n`);
        });
      },
    );
}

function show(value: unknown): string {
  return value === null || value === undefined ? '(none)' : JSON.stringify(value);
}
