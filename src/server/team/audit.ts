import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toError } from '../../store/errors.js';
import type { Store } from '../../store/port.js';
import type { AuditChange, AuditTargetKind } from '../../types.js';
import { principalOf } from './principal.js';

/**
 * The audit log: every change made through the API (and the CLI) is recorded after it is made, with the name of
 * the token that made it and the fields it changed, before and after. A secret's values are never recorded: only
 * that it changed.
 */

/** A record as the audit compares it: its fields by dotted path, each marked when it is a secret. */
export type Snapshot = Map<string, { value: unknown; secret: boolean }>;

/**
 * Flatten a record's API view into dotted fields (arrays and scalars are values), leaving out `skip`; `secrets`
 * adds the secret fields with what is stored for them (ciphertext, hashes), compared but never shown.
 */
export function snapshot(
  view: Record<string, unknown>,
  secrets: Record<string, string | null | undefined> = {},
  skip: readonly string[] = ['updated_at', 'created_at'],
): Snapshot {
  const out: Snapshot = new Map();
  const walk = (value: unknown, path: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (!skip.includes(path)) out.set(path, { value, secret: false });
  };
  walk(view, '');
  for (const [field, stored] of Object.entries(secrets)) {
    if (stored !== null && stored !== undefined) out.set(field, { value: stored, secret: true });
  }
  return out;
}

/** The fields that differ between two snapshots (an empty one for a record created or deleted). */
export function diff(before: Snapshot, after: Snapshot): AuditChange[] {
  const fields = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: AuditChange[] = [];
  for (const field of fields) {
    const b = before.get(field);
    const a = after.get(field);
    if (JSON.stringify(b?.value) === JSON.stringify(a?.value)) continue;
    if (b?.secret === true || a?.secret === true) changes.push({ field, secret: true });
    else changes.push({ field, before: b?.value ?? null, after: a?.value ?? null });
  }
  return changes;
}

export const EMPTY: Snapshot = new Map();

export interface AuditFact {
  action: string;
  targetKind: AuditTargetKind;
  targetId: string | null;
  changes?: AuditChange[];
  detail?: Record<string, unknown>;
}

export class AuditLog {
  constructor(
    private readonly store: Pick<Store, 'addAudit'>,
    private readonly now: () => number,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  /** Record a change made by the token behind `request` (a staff route: its guard named the token). */
  async record(request: FastifyRequest, fact: AuditFact): Promise<void> {
    await this.recordAs(principalOf(request).name, fact);
  }

  /**
   * Record a change made by `tokenName`. The change is made already: a failure to record it is logged as an error
   * (with what was done) rather than reported as a failure of the change.
   */
  async recordAs(tokenName: string, fact: AuditFact): Promise<void> {
    try {
      await this.store.addAudit({
        at: this.now(),
        tokenName,
        action: fact.action,
        targetKind: fact.targetKind,
        targetId: fact.targetId,
        changes: fact.changes ?? [],
        detail: fact.detail ?? {},
      });
    } catch (e) {
      this.logger.error(
        { err: toError(e), action: fact.action, target: fact.targetId, token: tokenName },
        'could not record a change in the audit log',
      );
    }
  }
}
