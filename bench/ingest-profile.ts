/**
 * A V8 CPU profile (`node --cpu-prof`) summarised as text: self time by function and by component (our rooms,
 * each npm package, Node's internals, native code, garbage collection, idle).
 */

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length);
  return url.replace(/^file:\/\//, '');
}

function componentOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'V8/native, unattributed';
    return 'native and builtins (JSON, SQLite calls, crypto...)';
  }
  if (url.startsWith('node:')) return 'Node internals (http, net, streams, timers)';
  const modules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (modules) return `npm: ${modules[1]}`;
  const ours = /\/dist\/src\/([^/]+)\//.exec(url);
  if (ours) return `ours: src/${ours[1]}`;
  return shortUrl(url);
}

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;

/** Components over 0.5% of the busy time, one line each; the rest summed on one line. */
function components(rows: [string, number][], busy: number): string[] {
  const shown = rows.filter(([, us]) => us >= busy * 0.005);
  const rest = rows.slice(shown.length);
  const lines = shown.map(([c, us]) => `  ${pct(us, busy)} ${ms(us)}  ${c}`);
  const restUs = rest.reduce((sum, [, us]) => sum + us, 0);
  if (rest.length > 0) lines.push(`  ${pct(restUs, busy)} ${ms(restUs)}  ${rest.length} others`);
  return lines;
}

export function summariseProfile(profile: CpuProfile, options: { top: number }): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFunction = new Map<string, number>();
  const selfByComponent = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    total += delta;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') idle += delta;
    const key = frame.url === '' ? name : `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
    const component = componentOf(name, frame.url);
    selfByComponent.set(component, (selfByComponent.get(component) ?? 0) + delta);
  });
  const busy = total - idle;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  const lines = [
    `CPU profile of the service: ${ms(total).trim()} sampled, ${ms(busy).trim()} busy (${pct(busy, total).trim()});` +
      ' shares below are of the busy time',
    'by component:',
    ...components(
      sorted(selfByComponent).filter(([c]) => c !== 'idle'),
      busy,
    ),
    `top ${options.top} functions by self time:`,
    ...sorted(selfByFunction)
      .filter(([k]) => k !== '(idle)')
      .slice(0, options.top)
      .map(([k, us]) => `  ${pct(us, busy)} ${ms(us)}  ${k}`),
  ];
  return lines.join('\n');
}
