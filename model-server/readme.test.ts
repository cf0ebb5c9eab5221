/**
 * model-server/README.md documents every environment variable (with its
 * default), every fault attribute and every injectable Runtime error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ERROR_NAMES } from './aws-errors.ts';
import { MODEL_SERVER_DEFAULTS, MODEL_SERVER_ENV } from './env.ts';
import { FAULT_ATTRIBUTES } from './faults.ts';

const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');

/** The cells of the table rows whose first cell is `name` in backticks. */
function row(name: string): string[] | undefined {
  const line = readme.split('\n').find((l) => l.startsWith(`| \`${name}\``));
  return line
    ?.split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

describe('model-server/README.md', () => {
  it.each(Object.values(MODEL_SERVER_ENV))('has a table row for %s', (name) => {
    expect(row(name)).toBeDefined();
  });

  it.each(
    Object.entries(MODEL_SERVER_DEFAULTS).map(([key, value]) => ({
      name: MODEL_SERVER_ENV[key as keyof typeof MODEL_SERVER_DEFAULTS],
      value: Array.isArray(value) ? value.join(',') : String(value),
    })),
  )('gives $name the default $value', ({ name, value }) => {
    expect(row(name)?.[1]).toBe(`\`${value}\``);
  });

  it.each(Object.values(FAULT_ATTRIBUTES))('documents the %s attribute', (attribute) => {
    const cells = readme.split('\n').map((line) => line.split('|').map((cell) => cell.trim()));
    expect(cells.some((row) => row[2] === `\`${attribute}\``)).toBe(true);
  });

  it.each(RUNTIME_ERROR_NAMES)('lists %s among injectable errors', (name) => {
    expect(row('FAULT_RUNTIME_ERROR')?.[2]).toContain(`\`${name}\``);
  });
});
