import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Encryption at rest of mParticle secrets and sources' credentials (AES-256-GCM). The key comes from the operator (CURRENTS_SECRET_KEY) or is
 * generated into the data folder on first start. Stored text: `v1:<base64 iv|tag|ciphertext>`.
 */

export class SecretBox {
  readonly #key: Buffer;

  constructor(keyMaterial: string) {
    // Any string of 16+ characters is accepted as key material; hashing gives the 32 bytes AES-256 needs.
    this.#key = createHash('sha256').update(keyMaterial, 'utf8').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    if (!stored.startsWith('v1:')) throw new Error('stored secret is not in a known format (expected "v1:...")');
    const raw = Buffer.from(stored.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (e) {
      throw new Error(
        "a stored secret (an mParticle secret or a source's credentials) cannot be decrypted with this secret key: " +
          'start the service with the key it was saved with (CURRENTS_SECRET_KEY or <data>/secret.key), or enter the ' +
          'secret again',
        { cause: e },
      );
    }
  }
}

/** Compare a presented token with the expected one in constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What is kept of a source's own ingest token: its SHA-256, hex. The token itself is shown once and never stored. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compare a presented token with a kept hash (tokenHash) in constant time. */
export function tokenMatchesHash(presented: string, hash: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = Buffer.from(hash, 'hex');
  return b.length === a.length && timingSafeEqual(a, b);
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
