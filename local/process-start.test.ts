/**
 * "ready in X s" counts from the command the user typed (issue 14): npm
 * and tsx start before local/start.ts's own process does.
 */
import { describe, expect, it } from 'vitest';
import { commandUptimeMs, type ReadText } from './process-start.ts';

/** A /proc/PID/stat line: pid, name, state, ppid, then start ticks as field 22. */
const stat = (pid: number, name: string, ppid: number, startTicks: number) =>
  `${pid} (${name}) S ${ppid} ${pid} ${pid} 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 ${startTicks} 3133440 407\n`;

/** A /proc of `files`; anything else does not exist. */
const proc =
  (files: Record<string, string | undefined>): ReadText =>
  (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    return text;
  };

/** npm start's processes: npm (pid 10), tsx's CLI (20, the shell npm ran, exec'd), this one (30). */
const NPM_START = {
  '/proc/self/stat': stat(30, 'node', 20, 1500),
  '/proc/20/cmdline': 'node\0/repo/node_modules/.bin/tsx\0local/start.ts\0',
  '/proc/20/stat': stat(20, 'node', 10, 1420),
  '/proc/10/cmdline': 'npm start\0\0\0\0',
  '/proc/10/stat': stat(10, 'npm start', 5, 1350),
  '/proc/5/cmdline': '-bash\0',
  '/proc/5/stat': stat(5, 'bash', 1, 100),
};

describe('commandUptimeMs', () => {
  it.each([
    { what: 'npm start: from npm, 1.5 s before this process', files: NPM_START, expected: 4000 },
    {
      what: 'tsx local/start.ts from a shell: from tsx, not the shell',
      files: { ...NPM_START, '/proc/10/cmdline': '-bash\0' },
      expected: 3300,
    },
    {
      what: 'node --import tsx local/start.ts from a shell: this process alone',
      files: { ...NPM_START, '/proc/20/cmdline': '-bash\0' },
      expected: 2500,
    },
    {
      what: 'a command name with spaces and parentheses',
      files: { ...NPM_START, '/proc/10/stat': stat(10, 'npm (x) y', 5, 1350) },
      expected: 4000,
    },
    { what: 'no /proc (macOS, Windows): this process alone', files: {}, expected: 2500 },
    {
      what: 'a launcher that has gone: this process alone',
      files: { '/proc/self/stat': NPM_START['/proc/self/stat'] },
      expected: 2500,
    },
    {
      what: 'npm gone, tsx still there: from tsx',
      files: { ...NPM_START, '/proc/10/cmdline': undefined, '/proc/10/stat': undefined },
      expected: 3300,
    },
  ])('$what', ({ files, expected }) => {
    expect(commandUptimeMs(2500, proc(files))).toBe(expected);
  });

  it.runIf(process.platform === 'linux')(
    'on Linux (the real /proc, which other systems lack): at least this process uptime',
    () => {
      const now = performance.now();
      expect(commandUptimeMs(now)).toBeGreaterThanOrEqual(now);
    },
  );
});
