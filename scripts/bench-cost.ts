/**
 * `npm run bench:cost`: what the costliest inputs cost the predict
 * function at its default limits, each measured in a fresh process.
 *
 * 1. The worst single image: per kind of image the pixel limits tell apart
 *    (scripts/cost-images.ts), the largest the defaults allow, square and as
 *    wide as allowed, through normaliseImage: CPU seconds and peak extra
 *    RSS; and the same image with its limit one pixel lower, refused from
 *    the header. Targets: <= 1.5 CPU-s and <= 300 MB each.
 * 2. The worst request: MAX_FILES images filling MAX_REQUEST_PIXELS with
 *    the kind that costs most per pixel, through the handler: peak RSS of
 *    the whole process. Target: within the Lambda's default 1024 MB with margin.
 * 3. The deadline: that request with a deadline that passes while it is
 *    decoding: the answer (504), and the process CPU time spent in the 2 s
 *    after it. Target: 0.
 */
import './quiet.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { buildMultipart, eventFor, loadImage } from '../fixtures/index.ts';
import { loadConfig } from '../functions/predict/config.ts';
import { createHandler } from '../functions/predict/handler.ts';
import { inspectImage, normaliseImage } from '../functions/predict/image.ts';
import { lambdaContext } from '../local/emulation/lambda-context.ts';
import { instantModel } from '../testing/bench-support.ts';
import { COST_KINDS, largestShapes } from './cost-images.ts';

const TARGET_CPU_S = 1.5;
const TARGET_EXTRA_MB = 300;
const BOUNDARY = '------------------------c0571d3b9e2a4f18';
// The environment's limits when set (MAX_AVIF_PIXELS=... npm run bench:cost), else the defaults.
const config = loadConfig({ ...process.env, SAGEMAKER_ENDPOINT_NAME: 'bench' });
const limits = config.normalise;

const MB = 1024 * 1024;
const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
/**
 * The process's peak RSS since resetPeakRss(), in bytes: Linux's VmHWM. Not
 * getrusage's maxRSS, which a child inherits from the parent that spawned
 * it (the parent here holds the images it built); elsewhere that is the
 * fallback, an upper bound.
 */
function peakRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Starts the high-water mark afresh at the current RSS (Linux: clear_refs 5). */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: the mark keeps the warm-up's peak, a smaller one than any measured here
  }
}

async function warmUp(): Promise<void> {
  for (let i = 0; i < 3; i++) await normaliseImage(loadImage('photo-2mp.jpg'), 'warm-up', limits);
  globalThis.gc?.();
  resetPeakRss();
}

interface ImageCost {
  readonly status: string;
  readonly cpuS: number;
  readonly extraMb: number;
  readonly refusedMs: number;
}

/** Child: one upload through normaliseImage, then its header against a limit one lower. */
async function imageChild(file: string, limitKey: keyof typeof limits): Promise<void> {
  const bytes = readFileSync(file);
  await warmUp();
  const before = process.memoryUsage.rss();
  const cpu = process.cpuUsage();
  let status = 'decoded';
  try {
    await normaliseImage(bytes, 'bench', limits);
  } catch (error) {
    status = (error as { code?: string }).code ?? 'failed';
  }
  const cpuS = cpuSeconds(process.cpuUsage(cpu));
  const extraMb = (peakRss() - before) / MB;
  const header = await inspectImage(bytes, 'bench', limits);
  const lower = { ...limits, [limitKey]: header.pixels - 1 };
  const started = performance.now();
  const refused = await inspectImage(bytes, 'bench', lower).then(
    () => 'accepted',
    (error: { code?: string }) => error.code ?? 'failed',
  );
  const refusedMs = performance.now() - started;
  const result: ImageCost = {
    status,
    cpuS,
    extraMb,
    refusedMs: refused === 'IMAGE_TOO_MANY_PIXELS' ? refusedMs : Number.NaN,
  };
  console.log(JSON.stringify(result));
}

function uploadEvent(files: readonly Buffer[]) {
  const body = buildMultipart(
    files.map((bytes, i) => ({
      name: 'image',
      filename: `worst-${i}`,
      contentType: 'application/octet-stream',
      bytes,
    })),
    BOUNDARY,
  );
  return eventFor(body, `multipart/form-data; boundary=${BOUNDARY}`);
}

interface RequestCost {
  readonly status: number;
  readonly code: string | undefined;
  readonly cpuS: number;
  readonly peakMb: number;
  readonly answeredAtS: number;
  /** Process CPU in the 2 s after the answer, and in 2 idle seconds before the request. */
  readonly cpuAfterAnswerS: number;
  readonly cpuIdleS: number;
}

/** Process CPU time over `ms` of waiting. */
async function cpuWhileWaiting(ms: number): Promise<number> {
  const start = process.cpuUsage();
  await sleep(ms);
  return cpuSeconds(process.cpuUsage(start));
}

/** Child: a request of `count` copies of `file` through the handler, given `timeoutMs` to run. */
async function requestChild(file: string, count: number, timeoutMs: number): Promise<void> {
  const bytes = readFileSync(file);
  const handler = createHandler(() => ({ config, client: instantModel }));
  await warmUp();
  const event = uploadEvent(Array.from({ length: count }, () => bytes));
  const cpuIdleS = await cpuWhileWaiting(2000);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await handler(event, lambdaContext(timeoutMs));
  const answeredAtS = (performance.now() - started) / 1000;
  const cpuS = cpuSeconds(process.cpuUsage(cpu));
  const cost: RequestCost = {
    status: result.statusCode,
    code: (JSON.parse(result.body) as { code?: string }).code,
    cpuS,
    peakMb: peakRss() / MB,
    answeredAtS,
    cpuAfterAnswerS: await cpuWhileWaiting(2000),
    cpuIdleS,
  };
  console.log(JSON.stringify(cost));
}

function child<T>(args: readonly string[]): T {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args],
    { encoding: 'utf8', env: { ...process.env }, maxBuffer: 16 * MB },
  );
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    throw new Error(`child ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  }
  return JSON.parse(line) as T;
}

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits: number, width: number) =>
  (Number.isNaN(value) ? '-' : value.toFixed(digits)).padStart(width);

interface Measured {
  readonly name: string;
  readonly file: string;
  readonly pixels: number;
  readonly cost: ImageCost;
}

async function worstImages(dir: string): Promise<Measured[]> {
  console.log(
    `1. Worst single image at the default limits (targets: <= ${TARGET_CPU_S} CPU-s, <= ${TARGET_EXTRA_MB} MB extra RSS)`,
  );
  console.log(
    `${pad('kind', 44)}${pad('size', 14)}${pad('bytes', 10)}${pad('result', 10)} CPU-s  extra MB  refused at limit-1 (ms)`,
  );
  const measured: Measured[] = [];
  // BENCH_COST_ONLY=TIFF measures only the kinds whose name contains it.
  const only = process.env.BENCH_COST_ONLY;
  for (const kind of COST_KINDS.filter((k) => only === undefined || k.name.includes(only))) {
    for (const { width, height } of largestShapes(kind, limits)) {
      const bytes = await kind.build(width, height);
      const file = join(dir, `${measured.length}.img`);
      writeFileSync(file, bytes);
      const cost = child<ImageCost>(['image', file, kind.limit]);
      measured.push({ name: kind.name, file, pixels: width * height, cost });
      console.log(
        `${pad(kind.name, 44)}${pad(`${width}x${height}`, 14)}${pad(String(bytes.length), 10)}${pad(cost.status, 10)}${num(cost.cpuS, 2, 6)}${num(cost.extraMb, 0, 10)}${num(cost.refusedMs, 2, 12)}`,
      );
    }
  }
  const worstCpu = Math.max(...measured.map((m) => m.cost.cpuS));
  const worstMb = Math.max(...measured.map((m) => m.cost.extraMb));
  const met = worstCpu <= TARGET_CPU_S && worstMb <= TARGET_EXTRA_MB;
  console.log(
    `worst single image: ${worstCpu.toFixed(2)} CPU-s, ${worstMb.toFixed(0)} MB extra RSS (${met ? 'met' : 'NOT met'})`,
  );
  return measured;
}

async function worstRequest(measured: readonly Measured[]): Promise<void> {
  // The kind that costs most CPU per pixel, as many as the request's limits allow.
  const worst = [...measured].sort(
    (a, b) => b.cost.cpuS / b.pixels - a.cost.cpuS / a.pixels,
  )[0] as Measured;
  const count = Math.min(
    config.limits.maxFiles,
    Math.floor(limits.maxRequestPixels / worst.pixels),
  );
  const total = count * worst.pixels;
  console.log(
    `\n2. Worst request: ${count} x ${worst.name} (${total} pixels of MAX_REQUEST_PIXELS ${limits.maxRequestPixels})`,
  );
  const cost = child<RequestCost>(['request', worst.file, String(count), '30000']);
  // Imported here only: the CDK library is slow to load, and the children do not need it.
  const { API_DEFAULTS } = await import('../infra/constructs/api-props.ts');
  const memoryMb = API_DEFAULTS.memorySizeMb;
  const margin = memoryMb - cost.peakMb;
  console.log(
    `answered ${cost.status} in ${cost.answeredAtS.toFixed(2)} s, ${cost.cpuS.toFixed(2)} CPU-s; peak RSS of the whole process ${cost.peakMb.toFixed(0)} MB of the Lambda's default ${memoryMb} MB (margin ${margin.toFixed(0)} MB, target >= ${memoryMb / 4}: ${margin >= memoryMb / 4 ? 'met' : 'NOT met'})`,
  );

  const timeoutMs = 2500;
  console.log(
    `\n3. Deadline: the same request given ${timeoutMs} ms (DEADLINE_MARGIN_MS ${config.deadlineMarginMs}: the deadline passes while decoding)`,
  );
  const late = child<RequestCost>(['request', worst.file, String(count), String(timeoutMs)]);
  // An idle Node process spends a few ms a second on its own timers; work
  // left running after the answer would show as CPU beyond that.
  const after = late.cpuAfterAnswerS - late.cpuIdleS;
  console.log(
    `answered ${late.status} ${late.code} after ${late.answeredAtS.toFixed(2)} s, ${late.cpuS.toFixed(2)} CPU-s; CPU in the 2 s after the answer ${(late.cpuAfterAnswerS * 1000).toFixed(0)} ms, idle ${(late.cpuIdleS * 1000).toFixed(0)} ms (target 0 beyond idle: ${after < 0.01 && late.status === 504 ? 'met' : 'NOT met'})`,
  );
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  const [what, file, arg, timeout] = process.argv.slice(at + 1);
  if (what === 'image') await imageChild(file as string, arg as keyof typeof limits);
  else await requestChild(file as string, Number(arg), Number(timeout));
} else {
  console.log(
    `node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; limits ${JSON.stringify({ ...limits, profile: undefined })}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-cost-'));
  try {
    await worstRequest(await worstImages(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
