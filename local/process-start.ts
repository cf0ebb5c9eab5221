/**
 * How long ago the command the user typed started. `npm start` runs a
 * shell that `exec`s tsx, and tsx runs local/start.ts in a second node
 * process, so this process's own clock (performance.now(), from
 * performance.timeOrigin) misses npm's and tsx's start-up: up to 2 s on a
 * busy machine. On Linux, /proc gives each process's start time, so the
 * launchers above this process are counted too; elsewhere this process's
 * own start is the best there is.
 */
import { readFileSync } from 'node:fs';

/**
 * Clock ticks per second of /proc/PID/stat's start time (USER_HZ, sysconf
 * `_SC_CLK_TCK`): 100 on every architecture Linux runs Node on (proc(5)).
 */
const TICKS_PER_SECOND = 100;

/** The command lines of the processes that launch local/start.ts: npm (and npx), and tsx's CLI. */
const LAUNCHER =
  /^(?:\S*\/)?(?:npm|npx)(?:\s|$)|npm-cli\.js|(?:^|[\s/])tsx(?:\s|$)|\/tsx\/dist\/cli/;

/** How many launchers there can be above this process (tsx's CLI, the shell it replaced, npm). */
const MAX_LAUNCHERS = 3;

/** A process's parent and start time (clock ticks after boot), from /proc/PID/stat. */
interface ProcStat {
  readonly ppid: number;
  readonly startTicks: number;
}

/** Fields of /proc/PID/stat after the command name, which may hold spaces and parentheses (proc(5)). */
function parseStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state (field 3), ppid (4), ..., starttime (22).
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]);
  return Number.isInteger(ppid) && Number.isInteger(startTicks) ? { ppid, startTicks } : undefined;
}

/** Reads a file as text: /proc by default, a table in tests. */
export type ReadText = (path: string) => string;

const readProc: ReadText = (path) => readFileSync(path, 'latin1');

/** `path` read with `read`, or undefined when it cannot be (no /proc, a process gone). */
function attempt(read: ReadText, path: string): string | undefined {
  try {
    return read(path);
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds since the command started: since the earliest of this
 * process and the launchers (npm, tsx) directly above it, or since this
 * process's start where /proc cannot tell.
 * @param now this process's uptime in milliseconds (performance.now())
 * @param read reads /proc/self/stat, /proc/PID/stat and /proc/PID/cmdline
 */
export function commandUptimeMs(now = performance.now(), read: ReadText = readProc): number {
  const selfStat = attempt(read, '/proc/self/stat');
  const self = selfStat === undefined ? undefined : parseStat(selfStat);
  if (self === undefined) return now; // no /proc: macOS, Windows
  let earliest = self.startTicks;
  let pid = self.ppid;
  for (let level = 0; level < MAX_LAUNCHERS && pid > 1; level++) {
    const commandLine = attempt(read, `/proc/${pid}/cmdline`)?.replaceAll('\0', ' ').trim();
    if (commandLine === undefined || !LAUNCHER.test(commandLine)) break;
    const statText = attempt(read, `/proc/${pid}/stat`);
    const parent = statText === undefined ? undefined : parseStat(statText);
    if (parent === undefined) break;
    earliest = Math.min(earliest, parent.startTicks);
    pid = parent.ppid;
  }
  return now + ((self.startTicks - earliest) * 1000) / TICKS_PER_SECOND;
}
