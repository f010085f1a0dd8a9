/**
 * Dedup of event ids without a unique index on them. Currents ids are random UUIDs: a B-tree keyed by them takes each
 * insert on a random leaf page, so a group commit of a few thousand events dirtied (and wrote to the WAL) nearly every
 * page of that index, and appends ran at half the speed (bench/store-append.ts). Instead, each event's 32-bit
 * fingerprint is appended, in seq order, to `event_fingerprints`, and the writing connection keeps them in memory in
 * an open-addressing table. A fingerprint hit is confirmed by reading the row by seq, so collisions never drop an event.
 * Memory: 8 bytes per slot (12 once seqs pass 2^32), at most half the slots used: about 16 bytes per event in the log.
 */

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so the low bits (the table slot) are well mixed. Never 0. */
export function fingerprint(eventId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) h = Math.imul(h ^ eventId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

const EMPTY = 0;
const MAX_U32 = 0xffffffff;

/** A multimap fingerprint -> seq, linear probing, deletion by backward shift (no tombstones). */
export class FingerprintIndex {
  private keys: Uint32Array;
  /** 32-bit until a seq needs more (over four billion events logged), then 64-bit floats, as any seq is. */
  private seqs: Uint32Array | Float64Array;
  private mask: number;
  private used = 0;

  constructor(capacity = 1 << 16) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.keys = new Uint32Array(size);
    this.seqs = new Uint32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.used;
  }

  add(fp: number, seq: number): void {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    if (seq > MAX_U32 && this.seqs instanceof Uint32Array) this.seqs = Float64Array.from(this.seqs);
    let slot = fp & this.mask;
    while (this.keys[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.keys[slot] = fp;
    this.seqs[slot] = seq;
    this.used += 1;
  }

  /** The seqs recorded under this fingerprint (usually none, rarely more than one). */
  candidates(fp: number): number[] {
    const found: number[] = [];
    for (let slot = fp & this.mask; this.keys[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      if (this.keys[slot] === fp) found.push(this.seqs[slot]!);
    }
    return found;
  }

  remove(fp: number, seq: number): void {
    let slot = fp & this.mask;
    while (this.keys[slot] !== EMPTY && !(this.keys[slot] === fp && this.seqs[slot] === seq)) {
      slot = (slot + 1) & this.mask;
    }
    if (this.keys[slot] === EMPTY) return;
    // Backward shift: pull later entries of the cluster into the hole when their home slot allows it.
    let hole = slot;
    for (let next = (hole + 1) & this.mask; this.keys[next] !== EMPTY; next = (next + 1) & this.mask) {
      const home = this.keys[next]! & this.mask;
      const distanceToHole = (hole - home) & this.mask;
      const distanceToNext = (next - home) & this.mask;
      if (distanceToHole < distanceToNext) {
        this.keys[hole] = this.keys[next]!;
        this.seqs[hole] = this.seqs[next]!;
        hole = next;
      }
    }
    this.keys[hole] = EMPTY;
    this.used -= 1;
  }

  private grow(): void {
    const { keys, seqs } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.seqs = seqs instanceof Uint32Array ? new Uint32Array(keys.length * 2) : new Float64Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.used = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.add(keys[i]!, seqs[i]!);
  }
}
