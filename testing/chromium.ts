/**
 * Where the browser tests find Debian's chromium, and what they do without
 * it: outside CI they are skipped and say why in any output (the reporter
 * shows a skipped test's name only on a terminal); with CI=true they fail,
 * so CI can never pass without running a browser.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe, it } from 'vitest';

/** The chromium binary: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet, sandbox-less headless chromium in a container with no network. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless chromium as every browser test runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Declares `body` as the suite `name` when chromium is there; otherwise a
 * failing test under CI=true, or a skipped suite whose name (and a line on
 * stderr from `file`) gives the reason.
 */
export function describeWithChromium(file: string, name: string, body: () => void): void {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI === 'true') {
    describe(name, () => {
      it('needs chromium', () => {
        throw new Error(
          `CI=true but no chromium at ${CHROMIUM}: .ci/run must apt-get install chromium`,
        );
      });
    });
    return;
  }
  const reason = available
    ? ''
    : ` (skipped: no chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!available) process.stderr.write(`${file}: browser tests${reason}\n`);
  describe.skipIf(!available)(`${name}${reason}`, body);
}
