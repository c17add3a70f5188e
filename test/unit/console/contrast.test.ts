import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * WCAG 2.x contrast of the console's colour pairs, read from its style sheet: normal text needs
 * 4.5:1 (AA). A colour change that makes text hard to read fails here.
 */
const css = readFileSync(path.join(__dirname, '../../../src/console/styles.css'), 'utf8');
const variables = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));

function colour(name: string): string {
  const value = name.startsWith('#') ? name : variables[name];
  if (!value) throw new Error(`no colour ${name} in styles.css`);
  return value;
}

function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(colour(a)), luminance(colour(b))].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('console colour contrast', () => {
  it('computes the WCAG ratio (black on white is 21:1)', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  const foregrounds = ['text', 'muted', 'link', 'critical', 'error', 'warning', 'info', 'ok'];
  it.each(foregrounds.flatMap((fg) => ['bg', 'panel'].map((bg) => [fg, bg] as const)))('%s on %s is at least 4.5:1', (fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });

  it.each([
    ['banner text', '#ffdcc7', '#5a1e02'],
    ['primary button', '#ffffff', '#1f6feb'],
    ['danger button', '#ffffff', '#b62324'],
    ['error state', '#ffb4ae', 'bg'],
    ['button text', 'text', '#21262d'],
  ])('%s is at least 4.5:1', (_what, fg, bg) => {
    expect(css).toContain(fg.startsWith('#') ? fg : `--${fg}`);
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });
});
