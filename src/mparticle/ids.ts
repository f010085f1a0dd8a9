import { hash } from 'node:crypto';

/**
 * The batch-level `source_request_id`: mParticle drops a batch whose id it has seen on the same key in the last
 * 30 to 60 days. Derived from the feed, the replay generation and the batch's event ids (order does not matter), so
 * a resent batch is recognised while a replay (a higher generation) is not swallowed by that dedup.
 *
 * The text is a SHA-256 digest shaped as a UUID with version 8 ("custom", RFC 9562) and the RFC variant bits, so it
 * passes any UUID check.
 */
export function sourceRequestId(feedId: string, eventIds: readonly string[], generation: number): string {
  // Most batches hold one event: nothing to sort, no copy.
  const ids = eventIds.length === 1 ? eventIds : [...eventIds].sort();
  // crypto.hash: the same digest as createHash().update().digest(), a third of the cost for inputs this small.
  const hex = hash('sha256', JSON.stringify([feedId, generation, ids]), 'hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  // A join gives one flat string: the id is kept for the whole chunk (a template would keep a rope over the digest).
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/**
 * A fingerprint of an mParticle key, kept with a chunk in flight so that a regroup knows which feed sends under the
 * key its batches went out under. Not the key: a digest of it, cut to 64 bits, never shown.
 */
export function keyTag(key: string): string {
  return hash('sha256', `currents-mparticle key\u0000${key}`, 'hex').slice(0, 16);
}
