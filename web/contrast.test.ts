import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The colour variables of web/style.css's :root. */
const css = readFileSync(new URL('./style.css', import.meta.url), 'utf8');
const colours = Object.fromEntries(
  [...css.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6});/gi)].map((m) => [m[1], m[2]]),
) as Record<string, string>;

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('the page colours meet WCAG AA', () => {
  // Every text colour on every background the stylesheet puts it on.
  const text: Array<[string, string]> = [
    ['text', 'background'],
    ['text', 'panel'],
    ['muted', 'background'],
    ['muted', 'panel'],
    ['accent-text', 'accent'],
    ['error', 'background'],
    ['error', 'error-background'],
    ['text', 'error-background'],
    ['ok', 'background'],
  ];
  it.each(text)('text %s on %s: at least 4.5:1', (fg, bg) => {
    expect(colours[fg], `--${fg} in style.css`).toBeDefined();
    expect(colours[bg], `--${bg} in style.css`).toBeDefined();
    expect(contrast(colours[fg] as string, colours[bg] as string)).toBeGreaterThanOrEqual(4.5);
  });

  // Borders of inputs and the focus ring: non-text contrast.
  it.each([
    ['border', 'background'],
    ['accent', 'background'],
  ])('control %s on %s: at least 3:1', (fg, bg) => {
    expect(contrast(colours[fg] as string, colours[bg] as string)).toBeGreaterThanOrEqual(3);
  });
});
