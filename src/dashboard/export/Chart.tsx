import { count, feedLabel } from '../format.js';
import { MINUTE, niceMax, type Line } from './series.js';

/** The plot's own coordinates; the SVG stretches to its box, so only lines are drawn in them, never text. */
const W = 1000;
const H = 100;

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

const pct = (n: number) => `${n.toFixed(3)}%`;

/**
 * Delivered events per minute, one line per feed (no chart library, nothing fetched). The lines are an SVG stretched
 * over the plot; the axis labels are HTML placed over it, so they keep their CSS size on a phone as on a desktop.
 */
export function DeliveryChart({ lines, hours, now }: { lines: Line[]; hours: number; now: number }) {
  const minutes = Math.round(hours * 60);
  const top = niceMax(Math.max(0, ...lines.flatMap((l) => l.values)));
  const xf = (i: number) => (minutes <= 1 ? 0 : i / (minutes - 1));
  const yf = (v: number) => 1 - v / top;
  const end = now - (now % MINUTE);
  const start = end - (minutes - 1) * MINUTE;
  const xTicks = hours <= 1 ? 15 : hours <= 3 ? 30 : hours <= 12 ? 120 : 240;
  const ticks: number[] = [];
  for (let i = 0; i < minutes; i++) if (((start + i * MINUTE) / MINUTE) % xTicks === 0) ticks.push(i);
  const summary = lines.length
    ? lines.map((l) => `${feedLabel(l.feed)}: ${count(l.total)} delivered`).join('; ')
    : 'no feeds';
  const levels = [0, 0.25, 0.5, 0.75, 1];

  return (
    <figure className="chart">
      <div
        className="chart-box"
        role="img"
        aria-label={`Delivered events per minute over the last ${hours} hours. ${summary}.`}
      >
        <div className="chart-plot">
          <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
            {levels.map((f) => (
              <line key={f} x1={0} x2={W} y1={yf(top * f) * H} y2={yf(top * f) * H} className="grid" />
            ))}
            {lines.map((l) => (
              <path
                key={l.feed}
                d={l.values
                  .map((v, i) => `${i === 0 ? 'M' : 'L'}${(xf(i) * W).toFixed(1)},${(yf(v) * H).toFixed(2)}`)
                  .join('')}
                fill="none"
                stroke={l.colour}
                strokeWidth="2"
                strokeLinejoin="round"
                vectorEffect="non-scaling-stroke"
              />
            ))}
          </svg>
          {levels.map((f) => (
            <span key={f} className="axis y" style={{ top: pct(yf(top * f) * 100) }} aria-hidden="true">
              {count(Math.round(top * f))}
            </span>
          ))}
          {ticks.map((i) => (
            <span key={i} className="axis x" style={{ left: pct(xf(i) * 100) }} aria-hidden="true">
              {clock(start + i * MINUTE)}
            </span>
          ))}
        </div>
      </div>
      <figcaption>
        <ul className="legend">
          {lines.map((l) => (
            <li key={l.feed}>
              <svg width="18" height="6" aria-hidden="true" focusable="false">
                <line x1="0" x2="18" y1="3" y2="3" stroke={l.colour} strokeWidth="4" />
              </svg>
              {feedLabel(l.feed)}: {count(l.total)} in {hours} h
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
