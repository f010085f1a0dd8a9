import type { SeriesPoint } from '../api/types.js';
import { PALETTE, SERIES } from '../palette.js';

/** The chart's data: the API's sparse per-minute points turned into one full line per feed. */

export const MINUTE = 60_000;

export interface Line {
  feed: string;
  colour: string;
  /** One value per minute of the window, oldest first. */
  values: number[];
  total: number;
}

/** Per-minute counts for each feed over the window ending at `now`, with empty minutes as zero. */
export function linesOf(points: readonly SeriesPoint[], feeds: readonly string[], hours: number, now: number): Line[] {
  const minutes = Math.round(hours * 60);
  const end = now - (now % MINUTE);
  const start = end - (minutes - 1) * MINUTE;
  const ids = [...new Set([...feeds, ...points.map((p) => p.feed)])];
  return ids.map((feed, i) => {
    const values = new Array<number>(minutes).fill(0);
    for (const p of points) {
      if (p.feed !== feed) continue;
      const at = Math.round((p.minute - start) / MINUTE);
      if (at >= 0 && at < minutes) values[at]! += p.count;
    }
    return {
      feed,
      colour: PALETTE[SERIES[i % SERIES.length]!],
      values,
      total: values.reduce((a, b) => a + b, 0),
    };
  });
}

/** The y axis's top: four equal steps of 1, 2 or 5 times a power of ten, so that every tick is a whole number. */
export function niceMax(max: number): number {
  const raw = Math.max(1, max / 4);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return step * 4;
}
