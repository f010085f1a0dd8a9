import { describe, expect, it } from 'vitest';
import { linesOf, MINUTE, niceMax } from '../../src/dashboard/export/series.js';
import { PALETTE } from '../../src/dashboard/palette.js';

/** The export page's chart data: delivered events per minute and feed, with quiet minutes drawn as zero. */

const NOW = Date.UTC(2026, 0, 1, 12, 0, 30); // half a minute into 12:00
const at = (hh: number, mm: number) => Date.UTC(2026, 0, 1, hh, mm);

describe('linesOf', () => {
  it('gives every feed one value per minute of the window, the current minute last', () => {
    const lines = linesOf(
      [
        { feed: 'ios', minute: at(12, 0), count: 4 },
        { feed: 'ios', minute: at(11, 58), count: 2 },
        { feed: 'unbound', minute: at(11, 1), count: 7 },
      ],
      ['ios', 'android', 'unbound'],
      1,
      NOW,
    );
    expect(lines.map((l) => l.feed)).toEqual(['ios', 'android', 'unbound']);
    for (const l of lines) expect(l.values).toHaveLength(60);
    expect(lines[0]!.values.slice(-3)).toEqual([2, 0, 4]);
    expect(lines[0]!.total).toBe(6);
    expect(lines[1]!.total).toBe(0);
    expect(lines[2]!.values[0]).toBe(7);
  });

  it('leaves out points older than the window and draws a feed the status no longer lists', () => {
    const lines = linesOf(
      [
        { feed: 'ios', minute: at(10, 59), count: 100 },
        { feed: 'web+unbound', minute: at(11, 30), count: 1 },
      ],
      ['ios'],
      1,
      NOW,
    );
    expect(lines[0]!.total).toBe(0);
    expect(lines[1]).toMatchObject({ feed: 'web+unbound', total: 1 });
  });

  it('gives each feed its own colour from the checked palette', () => {
    const lines = linesOf([], ['ios', 'android', 'web', 'unbound'], 3, NOW);
    expect(new Set(lines.map((l) => l.colour)).size).toBe(4);
    expect(lines[0]!.colour).toBe(PALETTE.series1);
    expect(lines[0]!.values).toHaveLength(180);
    expect(MINUTE).toBe(60_000);
  });
});

describe('niceMax', () => {
  it('tops the axis at four whole steps at or above the highest value', () => {
    for (const [max, top] of [
      [0, 4],
      [4, 4],
      [7, 8],
      [9, 20],
      [40, 40],
      [1234, 2000],
    ]) {
      expect(niceMax(max!), `max ${max}`).toBe(top);
      expect(niceMax(max!) % 4).toBe(0);
    }
  });
});
