import { describe, expect, it } from 'vitest';
import { BodyArena } from '../../src/delivery/arena.js';
import { packRequests } from '../../src/mparticle/index.js';
import { singleBatches } from '../mparticle/fixtures.js';

describe("a lane's body arena", () => {
  it('gives each body of a step its own bytes, one after another, and grows without moving earlier bodies', () => {
    const arena = new BodyArena(1024);
    const a = arena.take(600);
    a.fill(1);
    const b = arena.take(600); // does not fit: a larger buffer; `a` keeps the old one
    b.fill(2);
    const c = arena.take(100);
    c.fill(3);
    expect([...new Set(a)]).toEqual([1]);
    expect([...new Set(b)]).toEqual([2]);
    expect([...new Set(c)]).toEqual([3]);
    expect(arena.size).toBe(2048);
  });

  it('writes the next step over the last one, and holds nothing once let go', () => {
    const arena = new BodyArena(1024);
    const first = arena.take(100);
    first.fill(7);
    arena.reuse();
    arena.take(100).fill(9);
    // The same bytes: the first step's body is written over (only ever done once that step is over).
    expect([...new Set(first)]).toEqual([9]);
    arena.release();
    expect(arena.size).toBe(0);
    const after = arena.take(10);
    after.fill(4);
    expect([...new Set(first)]).toEqual([9]);
  });

  it('packs requests whose bodies are the batches as sent, step after step', () => {
    const arena = new BodyArena(4096);
    for (let step = 0; step < 3; step++) {
      arena.reuse();
      // Built batches: once packed, each reads its text back from its body in the arena.
      const batches = singleBatches(250, 200 + step * 300);
      const texts = batches.map((b) => b.json);
      const requests = packRequests(batches, { alloc: arena.take });
      expect(requests.length).toBeGreaterThan(2);
      const sent = requests.flatMap((r) => JSON.parse(r.body.toString('utf8')) as unknown[]);
      expect(sent).toEqual(texts.map((t) => JSON.parse(t) as unknown));
      // Each batch reads its text back from its body (this step's, not the one before).
      expect(batches.map((b) => b.json)).toEqual(texts);
    }
  });
});
