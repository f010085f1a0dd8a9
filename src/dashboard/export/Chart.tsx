import { count, feedLabel } from '../format.js';
import { MINUTE, niceMax, type Line } from './series.js';

const W = 720;
const H = 240;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/** Delivered events per minute, one line per feed, drawn as SVG (no chart library, nothing fetched). */
export function DeliveryChart({ lines, hours, now }: { lines: Line[]; hours: number; now: number }) {
  const minutes = Math.round(hours * 60);
  const top = niceMax(Math.max(0, ...lines.flatMap((l) => l.values)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (minutes <= 1 ? 0 : (i / (minutes - 1)) * plotW);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const end = now - (now % MINUTE);
  const start = end - (minutes - 1) * MINUTE;
  const xTicks = hours <= 1 ? 15 : hours <= 3 ? 30 : hours <= 12 ? 120 : 240;
  const ticks: number[] = [];
  for (let i = 0; i < minutes; i++) if (((start + i * MINUTE) / MINUTE) % xTicks === 0) ticks.push(i);
  const summary = lines.length
    ? lines.map((l) => `${feedLabel(l.feed)}: ${count(l.total)} delivered`).join('; ')
    : 'no feeds';

  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Delivered events per minute over the last ${hours} hours. ${summary}.`}
        preserveAspectRatio="xMidYMid meet"
      >
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} className="grid" />
            <text x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end" className="axis">
              {count(Math.round(top * f))}
            </text>
          </g>
        ))}
        {ticks.map((i) => (
          <text key={i} x={x(i)} y={H - 8} textAnchor="middle" className="axis">
            {clock(start + i * MINUTE)}
          </text>
        ))}
        {lines.map((l) => (
          <path
            key={l.feed}
            d={l.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('')}
            fill="none"
            stroke={l.colour}
            strokeWidth="2"
            strokeLinejoin="round"
          />
        ))}
      </svg>
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
