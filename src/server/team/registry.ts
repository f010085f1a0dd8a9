import { createHash, randomBytes } from 'node:crypto';
import { tokenMatches } from '../../secrets.js';
import type { Store } from '../../store/port.js';
import type { NewToken, TokenRole } from '../../types.js';
import { BUILT_IN_ADMIN, type Principal } from './principal.js';

/**
 * The named tokens of the admin API. A token is 32 random bytes, shown once; the store keeps its SHA-256 only.
 * A fast hash is enough here: with 256 bits of entropy nobody can guess a token from its hash, so a slow password
 * hash (bcrypt, scrypt) would only cost time on every request; and a plain digest lets the store look it up by index.
 *
 * Each request looks its token up in the store (one indexed read on the admin API, never on the ingest path), so
 * a revocation counts at once in every process sharing the database. The last use is written at most once per
 * `touchEveryMs` per token, so a busy dashboard does not turn every read into a write.
 */
export const TOKEN_PREFIX = 'cmt_';

export function hashToken(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function newTokenValue(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newTokenId(): string {
  return `tok_${randomBytes(6).toString('hex')}`;
}

/** A new token record and its value (to show once). */
export function mintToken(name: string, role: TokenRole, now: number): { record: NewToken; value: string } {
  const value = newTokenValue();
  return { value, record: { id: newTokenId(), name, role, hash: hashToken(value), createdAt: now } };
}

export class TokenRegistry {
  /** When this process last wrote each token's last use. */
  readonly #touched = new Map<string, number>();

  constructor(
    private readonly store: Pick<Store, 'findToken' | 'touchToken'>,
    private readonly adminToken: string,
    private readonly opts: {
      now: () => number;
      touchEveryMs?: number;
      onTouchError?: (e: unknown) => void;
    },
  ) {}

  /** The principal a bearer value names, or null when no live token has it. */
  async identify(value: string): Promise<Principal | null> {
    if (tokenMatches(value, this.adminToken)) return BUILT_IN_ADMIN;
    // Only our own format is looked up: anything else (the ingest token, a typo) costs no store read.
    if (!value.startsWith(TOKEN_PREFIX)) return null;
    const record = await this.store.findToken(hashToken(value));
    if (record === null) return null;
    const now = this.opts.now();
    const every = this.opts.touchEveryMs ?? 60_000;
    const last = Math.max(record.lastUsedAt ?? 0, this.#touched.get(record.id) ?? 0);
    if (now - last >= every) {
      this.#touched.set(record.id, now);
      this.store.touchToken(record.id, now).catch((e: unknown) => this.opts.onTouchError?.(e));
    }
    return { name: record.name, role: record.role, tokenId: record.id };
  }
}
