import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/store/errors.js';
import type { NewAuditEntry, NewToken, TokenRole } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';

let n = 0;
function newToken(name: string, role: TokenRole = 'viewer', createdAt = 1_800_000_000_000): NewToken {
  n += 1;
  return {
    id: `tok_${n}_${randomBytes(3).toString('hex')}`,
    name,
    role,
    hash: createHash('sha256').update(randomBytes(32)).digest('hex'),
    createdAt,
  };
}

function entry(over: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: 1_800_000_000_000,
    tokenName: 'ci-deploy',
    action: 'export.update',
    targetKind: 'export',
    targetId: 'exp_1',
    changes: [
      { field: 'name', before: 'Old', after: 'New «ü»' },
      { field: 'feeds.ios.secret', secret: true },
    ],
    detail: { note: 'kept as given' },
    ...over,
  };
}

/** Named tokens (hashes only) and the audit log of changes. */
export function describeTeam(ctx: StoreContext): void {
  describe('tokens', () => {
    it('finds a token by its hash until it is revoked, and lists live ones oldest first', async () => {
      const a = newToken('ci-deploy', 'operator', 1_800_000_000_000);
      const b = newToken('alice', 'admin', 1_800_000_000_500);
      await ctx.store.createToken(b);
      await ctx.store.createToken(a);
      expect((await ctx.store.findToken(a.hash))?.role).toBe('operator');
      expect((await ctx.store.listTokens()).map((t) => t.name)).toEqual(['ci-deploy', 'alice']);

      const revoked = await ctx.store.revokeToken(a.id, 1_800_000_001_000);
      expect(revoked?.name).toBe('ci-deploy');
      expect(await ctx.store.findToken(a.hash)).toBeNull();
      expect((await ctx.store.listTokens()).map((t) => t.name)).toEqual(['alice']);
      expect(await ctx.store.revokeToken(a.id, 1_800_000_002_000)).toBeNull();
      expect(await ctx.store.revokeToken('tok_missing', 1)).toBeNull();
    });

    it('refuses a second live token with the same name, and takes the name again once revoked', async () => {
      const first = await ctx.store.createToken(newToken('ci'));
      await expect(ctx.store.createToken(newToken('ci'))).rejects.toBeInstanceOf(ConflictError);
      await ctx.store.revokeToken(first.id, 1);
      const again = newToken('ci', 'admin');
      await ctx.store.createToken(again);
      expect((await ctx.store.findToken(again.hash))?.role).toBe('admin');
    });

    it('records the last use, never moving it back', async () => {
      const t = await ctx.store.createToken(newToken('bot'));
      expect((await ctx.store.findToken(t.hash))?.lastUsedAt).toBeNull();
      await ctx.store.touchToken(t.id, 1_800_000_005_000);
      await ctx.store.touchToken(t.id, 1_800_000_004_000);
      expect((await ctx.store.findToken(t.hash))?.lastUsedAt).toBe(1_800_000_005_000);
    });

    it('a revocation made through another connection counts on the next lookup', async () => {
      const other = await ctx.another();
      if (other === null) return;
      const t = await ctx.store.createToken(newToken('shared'));
      expect(await other.findToken(t.hash)).not.toBeNull();
      await ctx.store.revokeToken(t.id, 1);
      expect(await other.findToken(t.hash)).toBeNull();
    });
  });

  describe('audit log', () => {
    it('keeps entries whole and lists them newest first, by target and since a time', async () => {
      const first = await ctx.store.addAudit(entry({ at: 1_000 }));
      await ctx.store.addAudit(entry({ at: 2_000, targetId: 'exp_2', action: 'export.pause', changes: [] }));
      await ctx.store.addAudit(entry({ at: 3_000, targetKind: 'token', targetId: 'tok_1', action: 'token.create' }));
      const all = await ctx.store.listAudit({ limit: 10 });
      expect(all.map((e) => e.at)).toEqual([3_000, 2_000, 1_000]);
      expect(all[2]).toEqual({ ...entry({ at: 1_000 }), id: first.id });

      const one = await ctx.store.listAudit({ targetKind: 'export', targetId: 'exp_1', limit: 10 });
      expect(one.map((e) => e.id)).toEqual([first.id]);
      expect((await ctx.store.listAudit({ since: 2_000, limit: 10 })).map((e) => e.at)).toEqual([3_000, 2_000]);
      const page = await ctx.store.listAudit({ limit: 2 });
      const next = await ctx.store.listAudit({ limit: 2, beforeId: page[1]!.id });
      expect(next.map((e) => e.at)).toEqual([1_000]);
    });

    it('retention removes entries older than the cut, and only those', async () => {
      await ctx.store.addAudit(entry({ at: 1_000 }));
      await ctx.store.addAudit(entry({ at: 5_000 }));
      expect(await ctx.store.pruneAudit(5_000)).toBe(1);
      expect((await ctx.store.listAudit({ limit: 10 })).map((e) => e.at)).toEqual([5_000]);
      expect(await ctx.store.pruneAudit(5_000)).toBe(0);
    });
  });
}
