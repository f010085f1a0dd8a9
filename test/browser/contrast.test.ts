import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cssVar, PALETTE, TEXT_PAIRS, themeCss, UI_PAIRS, type ColourName } from '../../src/dashboard/palette.js';

/** WCAG 2.x relative luminance and contrast ratio, computed here independently of the dashboard. */
function luminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (m === null) throw new Error(`${hex} is not an opaque #rrggbb colour`);
  const [r, g, b] = m.slice(1, 4).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const stylesheet = readFileSync(new URL('../../src/dashboard/styles.css', import.meta.url), 'utf8');

describe('the contrast computation', () => {
  it('matches known WCAG values', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    // #767676 on white is the classic "just passes AA" grey.
    expect(contrast('#767676', '#ffffff')).toBeGreaterThan(4.5);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });
});

describe('the dashboard palette passes WCAG AA', () => {
  it.each(TEXT_PAIRS.map(([fg, bg]) => [fg, bg]))('text %s on %s is at least 4.5:1', (fg, bg) => {
    expect(contrast(PALETTE[fg as ColourName], PALETTE[bg as ColourName])).toBeGreaterThanOrEqual(4.5);
  });

  it.each(UI_PAIRS.map(([fg, bg]) => [fg, bg]))('control or line %s on %s is at least 3:1', (fg, bg) => {
    expect(contrast(PALETTE[fg as ColourName], PALETTE[bg as ColourName])).toBeGreaterThanOrEqual(3);
  });

  it('checks every pair the stylesheet draws text with', () => {
    // Each rule that sets both a text colour and a background must be a pair listed in TEXT_PAIRS.
    const declared = new Set(TEXT_PAIRS.map(([fg, bg]) => `${cssVar(fg)}|${cssVar(bg)}`));
    const rules = stylesheet.match(/\{[^{}]*\}/g) ?? [];
    let seen = 0;
    for (const rule of rules) {
      const fg = /(?:^|[\s;{])color:\s*var\((--[a-z0-9-]+)\)/.exec(rule)?.[1];
      const bg = /background:\s*var\((--[a-z0-9-]+)\)/.exec(rule)?.[1];
      if (fg === undefined || bg === undefined) continue;
      seen += 1;
      expect(declared.has(`${fg}|${bg}`), `${fg} on ${bg} in ${rule.trim()}`).toBe(true);
    }
    expect(seen).toBeGreaterThan(5);
  });

  it('uses no colour in the stylesheet that the palette does not define', () => {
    expect(stylesheet).not.toMatch(/#[0-9a-f]{3,8}\b/i);
    expect(stylesheet).not.toMatch(/\b(rgb|rgba|hsl|hsla)\(/i);
    const defined = new Set((Object.keys(PALETTE) as ColourName[]).map(cssVar));
    const used = [...stylesheet.matchAll(/var\((--[a-z0-9-]+)\)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(20);
    for (const v of used) expect(defined.has(v), v).toBe(true);
    expect(themeCss()).toContain(`${cssVar('okBg')}: ${PALETTE.okBg};`);
  });
});
