/**
 * The import boundaries between the three deployables (the predict Lambda,
 * the model server, the CDK app), the shared library they all use, and the
 * tools around them. A deployable that imported another's code would carry
 * it into its bundle or image (the model server's Docker context holds only
 * shared/ and model-server/), so a forbidden import fails here. With them,
 * the other two rules of the architecture: AWS's limits are written only in
 * shared/aws-facts.ts, and no production source file grows past 400 lines.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a file lives, most specific first. */
const ZONES = [
  'local/emulation',
  'shared',
  'functions',
  'model-server',
  'infra',
  'local',
  'fixtures',
  'testing',
  'test',
  'scripts',
  'web',
] as const;
type Zone = (typeof ZONES)[number] | 'root';

/** What production (non-test) code in each zone may import, besides packages. */
const ALLOWED: Readonly<Record<Zone, readonly Zone[] | 'any'>> = {
  shared: ['shared'],
  functions: ['functions', 'shared'],
  'model-server': ['model-server', 'shared'],
  infra: ['infra', 'shared'],
  'local/emulation': ['local/emulation', 'shared'],
  local: ['local', 'local/emulation', 'shared', 'functions', 'infra', 'fixtures', 'scripts'],
  fixtures: ['fixtures', 'shared', 'local/emulation'],
  // Helpers for tests and benchmarks may use any deployable (a reference model, a handler).
  testing: ['testing', 'shared', 'functions', 'model-server', 'local/emulation', 'fixtures'],
  test: 'any',
  scripts: 'any',
  web: ['web'],
  root: 'any',
};

/** What any test file may import on top of its zone's own allowance. */
const TEST_EXTRAS: readonly Zone[] = ['shared', 'fixtures', 'testing', 'local/emulation'];

/** Tests that start the whole local stack (the browser page's, the emulator's own). */
const STACK_TEST_ZONES: readonly Zone[] = ['local', 'web'];

/** The pure emulation builds events and results; it opens no sockets and starts no processes. */
const EMULATION_FORBIDDEN_MODULES = [
  'node:http',
  'node:https',
  'node:net',
  'node:tls',
  'node:dgram',
  'node:child_process',
];

const ALIASES: Readonly<Record<string, string>> = {
  '#shared/': 'shared/',
  '#predict/': 'functions/predict/',
};

function zoneOf(file: string): Zone {
  return ZONES.find((zone) => file === zone || file.startsWith(`${zone}/`)) ?? 'root';
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(?\s*['"]([^'"]+)['"]/gm;

/** Module specifiers a source file imports (static, re-exports, side-effect and dynamic). */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) found.push((match[1] ?? match[2]) as string);
  return found;
}

/** The repository path a specifier points at, or undefined for a package. */
function resolveSpecifier(file: string, specifier: string): string | undefined {
  for (const [alias, target] of Object.entries(ALIASES)) {
    if (specifier.startsWith(alias)) return target + specifier.slice(alias.length);
  }
  if (specifier.startsWith('.')) return normalize(join(dirname(file), specifier));
  return undefined;
}

/** Every import in `files` that breaks the boundaries, as `file -> target (why)`. */
function violations(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    const zone = zoneOf(file);
    const isTest = /\.test\.ts$/.test(file);
    const own = ALLOWED[zone];
    for (const specifier of importsOf(source)) {
      if (
        zone === 'local/emulation' &&
        !isTest &&
        EMULATION_FORBIDDEN_MODULES.includes(specifier)
      ) {
        found.push(`${file} -> ${specifier} (the pure emulation opens no sockets)`);
        continue;
      }
      const target = resolveSpecifier(file, specifier);
      if (target === undefined || own === 'any') continue;
      const targetZone = zoneOf(target);
      const allowed =
        own.includes(targetZone) ||
        (isTest &&
          (TEST_EXTRAS.includes(targetZone) ||
            (STACK_TEST_ZONES.includes(zone) && targetZone === 'local')));
      if (!allowed) found.push(`${file} -> ${target} (${zone} may not import ${targetZone})`);
    }
  }
  return found;
}

function sourceFiles(): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = new Map<string, string>();
  for (const file of listed.split('\n')) {
    if (!/\.(ts|js|mjs)$/.test(file) || file.startsWith('node_modules/')) continue;
    try {
      files.set(file, readFileSync(join(ROOT, file), 'utf8'));
    } catch {
      // Deleted in the working tree but still in the index.
    }
  }
  return files;
}

describe('import boundaries', () => {
  it('hold across the whole repository', () => {
    const files = sourceFiles();
    expect(files.size).toBeGreaterThan(100);
    expect(violations(files)).toEqual([]);
  });

  it.each([
    {
      what: 'the model server importing the Lambda',
      file: 'model-server/inputs.ts',
      source: "import { parseMultipart } from '#predict/multipart.ts';",
      expected: [
        'model-server/inputs.ts -> functions/predict/multipart.ts (model-server may not import functions)',
      ],
    },
    {
      what: 'the Lambda importing the model server (relative path)',
      file: 'functions/predict/image.ts',
      source: "import { prepareImage } from '../../model-server/preprocess.ts';",
      expected: [
        'functions/predict/image.ts -> model-server/preprocess.ts (functions may not import model-server)',
      ],
    },
    {
      what: 'the CDK app importing the Lambda',
      file: 'infra/stack.ts',
      source: "export { handler } from '../functions/predict/handler.ts';",
      expected: ['infra/stack.ts -> functions/predict/handler.ts (infra may not import functions)'],
    },
    {
      what: 'the shared library importing a deployable (dynamic import)',
      file: 'shared/errors.ts',
      source: "const m = await import('../local/gateway.ts');",
      expected: ['shared/errors.ts -> local/gateway.ts (shared may not import local)'],
    },
    {
      what: 'the pure emulation opening a socket',
      file: 'local/emulation/event.ts',
      source: "import { createServer } from 'node:http';",
      expected: ['local/emulation/event.ts -> node:http (the pure emulation opens no sockets)'],
    },
    {
      what: 'a Lambda test importing the HTTP emulator',
      file: 'functions/predict/handler.contract.test.ts',
      source: "import { startLocalStack } from '../../local/stack.ts';",
      expected: [
        'functions/predict/handler.contract.test.ts -> local/stack.ts (functions may not import local)',
      ],
    },
    {
      what: 'allowed imports: shared, own folder, packages, test fixtures',
      file: 'model-server/inputs.test.ts',
      source: [
        "import { x } from '#shared/multipart.ts';",
        "import { y } from './inputs.ts';",
        "import sharp from 'sharp';",
        "import { loadImage } from '../fixtures/index.ts';",
      ].join('\n'),
      expected: [],
    },
  ])('flag $what', ({ file, source, expected }) => {
    expect(violations(new Map([[file, source]]))).toEqual(expected);
  });

  it('reads every form of import', () => {
    expect(
      importsOf(
        [
          "import a from 'a';",
          "import type { B } from './b.ts';",
          "import './side-effect.ts';",
          "export * from '#shared/c.ts';",
          'const d = await import("./d.ts");',
          "import {\n  e,\n  f,\n} from '../e.ts';",
        ].join('\n'),
      ),
    ).toEqual(['a', './b.ts', './side-effect.ts', '#shared/c.ts', './d.ts', '../e.ts']);
  });

  it('knows every top-level source folder', () => {
    const folders = new Set(
      [...sourceFiles().keys()].filter((file) => file.includes('/')).map((f) => f.split('/')[0]),
    );
    expect([...folders].filter((folder) => zoneOf(`${folder}/x.ts`) === 'root')).toEqual([]);
  });
});

/** Folders of production code (what deploys, and the emulator that runs it). */
const PRODUCTION = ['functions/', 'infra/', 'local/', 'model-server/', 'shared/'];

/** The one module allowed to spell AWS's limits out. */
const AWS_FACTS = 'shared/aws-facts.ts';

/** Production source files: everything in PRODUCTION but tests. */
function productionFiles(files: ReadonlyMap<string, string>): Map<string, string> {
  return new Map(
    [...files].filter(
      ([file]) => PRODUCTION.some((folder) => file.startsWith(folder)) && !/\.test\.ts$/.test(file),
    ),
  );
}

/**
 * AWS's limits written as literals: the 10 MB / 6 MB / 4 MB byte counts, the
 * 29 s integration timeout, the 63 / 64 / 128 / 1024-character rules, in
 * code, regular expressions and messages (which interpolate the constant).
 */
const AWS_LIMIT_LITERALS: readonly RegExp[] = [
  /\b(?:10_?485_?760|6_?291_?456|4_?194_?304)\b/,
  /(?<![\d.])(?:10|6|4)\s*\*\s*(?:1024\s*\*\s*1024|MiB)\b/,
  /\b29_?000\b/,
  /\{\s*[01]\s*,\s*(?:63|64|128|1024)\s*\}/,
  /(?<![\w.-])[01] ?(?:-|to|\.\.) ?(?:63|64|128|1024)\b/,
  /(?<![\d.])(?:10|6|4) ?MB\b/,
  /(?<![\d.])29 ?s\b/,
  /\b(?:1024|128|64|63) (?:visible |printable |ASCII )*(?:characters|chars)\b/,
];

/** The source without its comments (which may cite a limit), line numbers kept. */
function withoutComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ''))
    .replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** Every line outside AWS_FACTS that spells an AWS limit out, as `file:line: text`. */
function awsLimitLiterals(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of productionFiles(files)) {
    if (file === AWS_FACTS) continue;
    withoutComments(source)
      .split('\n')
      .forEach((line, index) => {
        if (AWS_LIMIT_LITERALS.some((pattern) => pattern.test(line))) {
          found.push(`${file}:${index + 1}: ${line.trim()}`);
        }
      });
  }
  return found;
}

/** The most lines a production source file may have. */
const MAX_PRODUCTION_LINES = 400;

describe('AWS facts in one module', () => {
  it('no production file but shared/aws-facts.ts spells an AWS limit out', () => {
    expect(awsLimitLiterals(sourceFiles())).toEqual([]);
  });

  it.each([
    {
      what: 'a byte count',
      source: 'const MAX = 10485760;',
      expected: ['functions/predict/x.ts:1: const MAX = 10485760;'],
    },
    {
      what: 'MiB arithmetic',
      source: 'export const LIMIT = 6 * 1024 * 1024;',
      expected: ['functions/predict/x.ts:1: export const LIMIT = 6 * 1024 * 1024;'],
    },
    {
      what: 'the integration timeout',
      source: 'const timeoutMs = 29_000;',
      expected: ['functions/predict/x.ts:1: const timeoutMs = 29_000;'],
    },
    {
      what: 'a character limit in a regular expression',
      source: 'const ACCEPT = /^[\\x20-\\x7e]{1,1024}$/;',
      expected: ['functions/predict/x.ts:1: const ACCEPT = /^[\\x20-\\x7e]{1,1024}$/;'],
    },
    {
      what: 'a range in a message',
      source: 'fail(`stageName must be 1-128 of A-Z a-z 0-9 _ -`);',
      expected: ['functions/predict/x.ts:1: fail(`stageName must be 1-128 of A-Z a-z 0-9 _ -`);'],
    },
    {
      what: 'a limit in a message',
      source: "\nfail('must be 1 to 64 printable characters');",
      expected: ["functions/predict/x.ts:2: fail('must be 1 to 64 printable characters');"],
    },
    {
      what: 'nothing in comments, nor a constant interpolated',
      source: [
        '/** At most 10 MB (10,485,760 bytes). */',
        '// 29 s, 6 * 1024 * 1024',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal.
        'const m = `over ${LAMBDA_MAX_EVENT_BYTES} bytes, about 4.4 MB of file`;',
      ].join('\n'),
      expected: [],
    },
  ])('flags $what', ({ source, expected }) => {
    expect(awsLimitLiterals(new Map([['functions/predict/x.ts', source]]))).toEqual(expected);
  });

  it('leaves tests and the facts module alone', () => {
    const files = new Map([
      [AWS_FACTS, 'export const API_GATEWAY_MAX_REQUEST_BYTES = 10 * MiB;'],
      ['functions/predict/x.test.ts', 'expect(limit).toBe(10485760);'],
    ]);
    expect(awsLimitLiterals(files)).toEqual([]);
  });
});

describe('file size', () => {
  it(`no production source file is over ${MAX_PRODUCTION_LINES} lines`, () => {
    const over = [...productionFiles(sourceFiles())]
      .map(
        ([file, source]) =>
          [file, source.split('\n').length - (source.endsWith('\n') ? 1 : 0)] as const,
      )
      .filter(([, lines]) => lines > MAX_PRODUCTION_LINES)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(over).toEqual([]);
  });
});
