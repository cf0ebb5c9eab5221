import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES } from '#shared/errors.ts';
import { DEFAULTS, ENV } from '#shared/predict-env.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of the markdown table that follows `heading`. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(-1);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, '')),
    );
  }
  return rows;
}

describe('README', () => {
  it('lists every error code with its catalogue status, and nothing else', () => {
    const rows = tableAfter('## Errors');
    const documented = Object.fromEntries(rows.map(([code, status]) => [code, Number(status)]));
    const catalogue = Object.fromEntries(
      ERROR_CODES.map((code) => [code, ERROR_CATALOGUE[code].status]),
    );
    expect(documented).toEqual(catalogue);
  });

  it('documents every configuration variable with its default', () => {
    const rows = tableAfter('## Configuration');
    const documented = Object.fromEntries(rows.map(([name, value]) => [name, value]));
    for (const [key, name] of Object.entries(ENV)) {
      expect(documented, `README documents ${name}`).toHaveProperty(name as string);
      const fallback = (DEFAULTS as Record<string, unknown>)[key];
      if (fallback === undefined) continue;
      const expected = Array.isArray(fallback)
        ? fallback.length === 0
          ? '(none)'
          : fallback.join(',')
        : String(fallback);
      expect(documented[name as string], `default of ${name}`).toBe(expected);
    }
    expect(Object.keys(documented).sort()).toEqual(Object.values(ENV).sort());
  });

  it('starts with the two commands a newcomer runs', () => {
    const firstBlock = readme.slice(
      readme.indexOf('```sh'),
      readme.indexOf('```', readme.indexOf('```sh') + 5),
    );
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm test');
  });

  it('shows the layout as one line per top-level folder, every one of them', () => {
    const section = readme.slice(readme.indexOf('## Layout'));
    const block = section.slice(
      section.indexOf('```') + 3,
      section.indexOf('```', section.indexOf('```') + 3),
    );
    const listed = block
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.split(/\s+/)[0]);
    const tracked = execFileSync('git', ['ls-files'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    const folders = new Set(
      tracked
        .split('\n')
        .filter((file) => file.includes('/') && !file.startsWith('.'))
        .map((file) => `${file.split('/')[0]}/`),
    );
    expect([...listed].sort()).toEqual([...folders].sort());
  });
});

describe('npm run typecheck', () => {
  it('checks every tsconfig in the repository', () => {
    const scripts = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
      .scripts as Record<string, string>;
    const tracked = execFileSync('git', ['ls-files', '*tsconfig*.json'], {
      cwd: new URL('..', import.meta.url),
      encoding: 'utf8',
    });
    const configs = tracked.split('\n').filter((file) => file !== '');
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) expect(scripts.typecheck).toContain(`-p ${config}`);
  });
});
