/**
 * The dashboard's colours, in one place so that a unit test can check every pair we draw text or controls with
 * against WCAG AA (test/browser/contrast.test.ts). styles.css uses only the variables written by `themeCss`.
 */
export const PALETTE = {
  bg: '#ffffff',
  surface: '#f3f5f8',
  text: '#1b2330',
  muted: '#4b5563',
  border: '#6b7280',
  divider: '#d1d5db',
  primary: '#1d4ed8',
  primaryHover: '#1e40af',
  onPrimary: '#ffffff',
  primarySoft: '#e8eefc',
  onPrimarySoft: '#1e3a8a',
  danger: '#b91c1c',
  onDanger: '#ffffff',
  okBg: '#dcfce7',
  okText: '#14532d',
  warnBg: '#fef3c7',
  warnText: '#78350f',
  badBg: '#fee2e2',
  badText: '#991b1b',
  idleBg: '#e5e7eb',
  idleText: '#1f2937',
  codeBg: '#eef1f5',
  focus: '#1d4ed8',
  series1: '#1d4ed8',
  series2: '#b45309',
  series3: '#047857',
  series4: '#7e22ce',
  series5: '#be185d',
  /** Behind a modal dialog: black at 45%. */
  scrim: '#00000073',
} as const;

export type ColourName = keyof typeof PALETTE;

/** Text drawn in the first colour on the second: WCAG AA asks 4.5:1 for normal-size text. */
export const TEXT_PAIRS: readonly (readonly [ColourName, ColourName])[] = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'codeBg'],
  ['muted', 'bg'],
  ['muted', 'surface'],
  ['primary', 'bg'],
  ['primary', 'surface'],
  ['primaryHover', 'bg'],
  ['onPrimary', 'primary'],
  ['onPrimary', 'primaryHover'],
  ['onPrimarySoft', 'primarySoft'],
  ['danger', 'bg'],
  ['danger', 'surface'],
  ['onDanger', 'danger'],
  ['okText', 'okBg'],
  ['warnText', 'warnBg'],
  ['badText', 'badBg'],
  ['idleText', 'idleBg'],
  ['text', 'okBg'],
  ['text', 'warnBg'],
  ['text', 'badBg'],
];

/** Controls, focus rings and chart lines against what surrounds them: WCAG AA asks 3:1 for non-text contrast. */
export const UI_PAIRS: readonly (readonly [ColourName, ColourName])[] = [
  ['border', 'bg'],
  ['border', 'surface'],
  ['focus', 'bg'],
  ['focus', 'surface'],
  ['primary', 'bg'],
  ['danger', 'bg'],
  ['series1', 'bg'],
  ['series2', 'bg'],
  ['series3', 'bg'],
  ['series4', 'bg'],
  ['series5', 'bg'],
];

export const SERIES: readonly ColourName[] = ['series1', 'series2', 'series3', 'series4', 'series5'];

export function cssVar(name: ColourName): string {
  return `--${name.replace(/[A-Z0-9]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The `:root` rule that defines every colour as a CSS custom property. */
export function themeCss(): string {
  const lines = (Object.keys(PALETTE) as ColourName[]).map((name) => `  ${cssVar(name)}: ${PALETTE[name]};`);
  return `:root {\n${lines.join('\n')}\n}\n`;
}
