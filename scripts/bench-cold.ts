/**
 * `npm run bench:cold`: the cold import of the predict Lambda's bundle,
 * built exactly as `cdk synth` builds it (NodejsFunction: esbuild,
 * minified, source map, sharp installed for the platform) for x86_64 so it
 * runs here, then imported in 10 fresh Node processes with the function's
 * own environment from the template (NODE_OPTIONS=--enable-source-maps
 * included), as Lambda's runtime loads it during the init phase; then
 * each process answers its first request (a 2 MP JPEG upload) through the
 * real SDK over HTTP to a local stand-in (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME),
 * which proves the bundle works and prints what the first request costs.
 * Target: cold import median at most 150 ms.
 */
import './quiet.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMultipart, eventFor, loadImage } from '../fixtures/index.ts';
import { buildApp } from '../infra/app.ts';
import { median, medianRange } from '../testing/bench-support.ts';
import { SageMakerStub } from '../testing/sagemaker-stub.ts';

const PROCESSES = 10;
const TARGET_MS = 150;

interface FunctionResource {
  readonly Type: string;
  readonly Properties: {
    readonly Code?: { readonly S3Key?: string };
    readonly Environment?: { readonly Variables?: Record<string, string> };
  };
}

/** Synthesises the stack with bundling on; the staged asset directory and the function's env. */
function bundle(outdir: string): { asset: string; environment: Record<string, string> } {
  const { app, stack } = buildApp({
    outdir,
    context: { architecture: 'x86_64' },
    nag: false,
    builtinValidation: false,
  });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, FunctionResource>;
  };
  const fn = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment !== undefined,
  );
  const hash = fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
  if (fn === undefined || hash === undefined)
    throw new Error('no bundled function in the template');
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.Properties.Environment?.Variables ?? {})) {
    // Intrinsics (a token for another resource) have no local value.
    if (typeof value === 'string') environment[name] = value;
  }
  return { asset: join(assembly.directory, `asset.${hash}`), environment };
}

/** What one fresh process measured, in milliseconds. */
interface ColdStart {
  readonly importMs: number;
  readonly firstRequestMs: number;
  readonly status: number;
}

/**
 * Loads the bundle in a fresh process: the time from before `require` to
 * after, then the first request's, with the function's environment and
 * Lambda's own variables (region, credentials) pointing the SDK at `endpoint`.
 */
function coldStart(
  asset: string,
  environment: Record<string, string>,
  eventFile: string,
  endpoint: string,
): Promise<ColdStart> {
  const script = [
    'const t0 = performance.now();',
    `const { handler } = require(${JSON.stringify(join(asset, 'index.js'))});`,
    'const importMs = performance.now() - t0;',
    `const event = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
    "const context = { awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };",
    'const t1 = performance.now();',
    'handler(event, context).then((r) => process.stderr.write(JSON.stringify({ importMs, firstRequestMs: performance.now() - t1, status: r.statusCode })));',
  ].join('\n');
  const { NODE_OPTIONS, ...rest } = environment;
  const child = spawn(
    process.execPath,
    [...(NODE_OPTIONS ?? '').split(' ').filter(Boolean), '-e', script],
    {
      cwd: asset,
      env: {
        PATH: process.env.PATH ?? '',
        ...rest,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLD',
        AWS_SECRET_ACCESS_KEY: 'bench-cold-not-a-secret',
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoint,
        // Lambda runs Node 22: no SDK warning about Node 20 there.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      // stdout: the function's logs, drained; stderr: the figures.
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const figures = output.slice(output.lastIndexOf('\n{') + 1);
      if (code !== 0 || !figures.startsWith('{')) {
        reject(new Error(`cold start failed (${code}): ${output}`));
      } else resolve(JSON.parse(figures) as ColdStart);
    });
  });
}

const spread = (values: readonly number[]) => `median ${medianRange(values, 1, ' ms')}`;

const outdir = mkdtempSync(join(tmpdir(), 'bench-cold-'));
const stub = new SageMakerStub();
try {
  const endpoint = await stub.start();
  const { asset, environment } = bundle(outdir);
  const boundary = 'bench-cold-boundary';
  const body = buildMultipart(
    [
      {
        name: 'image',
        filename: 'photo.jpg',
        contentType: 'image/jpeg',
        bytes: loadImage('photo-2mp.jpg'),
      },
    ],
    boundary,
  );
  const eventFile = join(outdir, 'event.json');
  writeFileSync(
    eventFile,
    JSON.stringify(eventFor(body, `multipart/form-data; boundary=${boundary}`)),
  );
  const size = statSync(join(asset, 'index.js')).size;
  // The file system cache warm, as on a Lambda host.
  await coldStart(asset, environment, eventFile, endpoint);
  const runs: ColdStart[] = [];
  for (let i = 0; i < PROCESSES; i++)
    runs.push(await coldStart(asset, environment, eventFile, endpoint));
  const failed = runs.find((run) => run.status !== 200);
  if (failed !== undefined) throw new Error(`the bundled handler answered ${failed.status}`);
  const imports = runs.map((run) => run.importMs);
  const ms = median(imports);
  console.log(
    `bundle: index.js ${(size / 1024).toFixed(0)} KiB (x86_64, as cdk synth bundles it), NODE_OPTIONS=${environment.NODE_OPTIONS ?? ''}`,
  );
  console.log(
    `cold import, ${PROCESSES} fresh processes   ${spread(imports)}  (target <= ${TARGET_MS} ms: ${ms <= TARGET_MS ? 'met' : 'NOT met'})`,
  );
  console.log(
    `first request after it (2 MP JPEG, SDK client built, real SDK over HTTP, 200)   ${spread(runs.map((run) => run.firstRequestMs))}`,
  );
} finally {
  await stub.stop();
  rmSync(outdir, { recursive: true, force: true });
}
