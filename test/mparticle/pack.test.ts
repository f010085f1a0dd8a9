import { describe, expect, it } from 'vitest';
import { buildBatches } from '../../src/mparticle/batches.js';
import { packRequests } from '../../src/mparticle/pack.js';
import { BATCH_NOW, BATCH_OPTS, makeEvent, singleBatches } from './fixtures.js';

const NOW_S = Math.floor(BATCH_NOW / 1000);
const OPTS = BATCH_OPTS;
const batches = singleBatches;

describe('packRequests', () => {
  it('puts at most 100 batches in a request, keeping their order', () => {
    const all = batches(250);
    const requests = packRequests(all);
    expect(requests.map((r) => r.batches.length)).toEqual([100, 100, 50]);
    expect(requests.flatMap((r) => r.batches)).toEqual(all);
    expect(requests.every((r) => r.path === '/v2/bulkevents')).toBe(true);
    expect(packRequests(all, { maxBatches: 30 }).map((r) => r.batches.length)).toEqual([
      30, 30, 30, 30, 30, 30, 30, 30, 10,
    ]);
  });

  it('keeps every body under 256 KB, its bytes exact and its JSON the batches in order', () => {
    const all = batches(40, 30_000);
    const requests = packRequests(all);
    expect(requests.length).toBeGreaterThan(4);
    for (const r of requests) {
      expect(r.bytes).toBe(Buffer.byteLength(r.body));
      expect(r.bytes).toBeLessThan(262_144);
      expect(JSON.parse(r.body.toString('utf8'))).toEqual(r.batches.map((b) => b.batch));
    }
    expect(requests.flatMap((r) => r.batches)).toEqual(all);
    // Requests are filled: the next batch would not have fitted.
    expect(requests[0]!.bytes + all[requests[0]!.batches.length]!.bytes + 1).toBeGreaterThanOrEqual(262_144);
  });

  it('leaves each batch its text (read from the body), also when packed again after a split', () => {
    const all = batches(7, 100);
    // Text beyond ASCII: the body holds UTF-8, each batch's bytes counted exactly.
    const wide = makeEvent('users.messages.email.Send', { externalUserId: 'ü-1', time: NOW_S });
    wide.campaign_name = 'ü€😀\u2028';
    all.splice(3, 0, ...buildBatches([{ seq: 99, event: wide }], OPTS).batches);
    const texts = all.map((b) => b.json);
    const [request] = packRequests(all);
    expect(all.map((b) => b.json)).toEqual(texts);
    expect(request!.body.toString('utf8')).toBe(`[${texts.join(',')}]`);
    const halves = [packRequests(all.slice(0, 3)), packRequests(all.slice(3))].flat();
    expect(halves.map((r) => r.body.toString('utf8'))).toEqual([
      `[${texts.slice(0, 3).join(',')}]`,
      `[${texts.slice(3).join(',')}]`,
    ]);
    expect(all.map((b) => b.json)).toEqual(texts);
  });

  it('never mixes historical and live batches in one request', () => {
    const old = batches(3, 0, 40 * 86_400);
    const live = batches(3);
    const requests = packRequests([...old.slice(0, 2), ...live.slice(0, 2), old[2]!, live[2]!]);
    expect(requests.map((r) => [r.path, r.batches.length])).toEqual([
      ['/v2/bulkevents/historical', 2],
      ['/v2/bulkevents', 2],
      ['/v2/bulkevents/historical', 1],
      ['/v2/bulkevents', 1],
    ]);
  });

  it('refuses a batch that cannot fit in a request at all', () => {
    const [one] = batches(1, 5000);
    expect(() => packRequests([one!], { maxBytes: 1000 })).toThrow(/dead-letter/);
    expect(packRequests([])).toEqual([]);
  });
});
