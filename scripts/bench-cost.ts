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
 *    decoding: the answer (504), then the image work still under way when
 *    it was answered (sharp's tasks in flight) and the CPU time of libvips'
 *    threads in the 2 s after it. Target: 0. The process's own CPU in those
 *    2 s is printed beside an idle process's: it also holds V8 collecting
 *    the request's decode buffers, which no image work causes.
 */
import './quiet.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * CPU time of libvips' own threads (named `libvips worker`), in ms, per
 * thread id: Linux's per-thread schedstat. Empty elsewhere. Decoding runs on
 * these threads; the Node thread that waits for them does no pixel work.
 */
function libvipsThreadsCpuMs(): Map<string, number> {
  const threads = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const task = `/proc/self/task/${tid}`;
      try {
        if (readFileSync(`${task}/comm`, 'utf8').trim() !== 'libvips worker') continue;
        threads.set(tid, Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return threads;
}

/** libvips' CPU between two readings, in ms (a thread started since counts from 0). */
function libvipsCpuBetween(before: Map<string, number>, after: Map<string, number>): number {
  let ms = 0;
  for (const [tid, total] of after) ms += total - (before.get(tid) ?? 0);
  return ms;
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
  /** sharp's tasks queued or running when the handler answered (`sharp.counters()`). */
  readonly sharpTasksAtAnswer: number;
  /** CPU of libvips' threads in the 2 s after the answer, ms. */
  readonly libvipsAfterAnswerMs: number;
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
  const { queue, process: running } = sharp.counters();
  const libvipsAtAnswer = libvipsThreadsCpuMs();
  const cpuAfterAnswerS = await cpuWhileWaiting(2000);
  const cost: RequestCost = {
    status: result.statusCode,
    code: (JSON.parse(result.body) as { code?: string }).code,
    cpuS,
    peakMb: peakRss() / MB,
    answeredAtS,
    cpuAfterAnswerS,
    cpuIdleS,
    sharpTasksAtAnswer: queue + running,
    libvipsAfterAnswerMs: libvipsCpuBetween(libvipsAtAnswer, libvipsThreadsCpuMs()),
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
  // Image work left running after the answer is sharp's tasks and libvips'
  // threads. The process as a whole also spends CPU on V8 collecting the
  // request's decode buffers (concurrent marking and sweeping, whose threads
  // no name tells apart from Node's own), so its total is shown beside an
  // idle process's, not held to 0.
  const stopped = late.sharpTasksAtAnswer === 0 && late.libvipsAfterAnswerMs < 0.5;
  console.log(
    `answered ${late.status} ${late.code} after ${late.answeredAtS.toFixed(2)} s, ${late.cpuS.toFixed(2)} CPU-s; image work after the answer: ${late.sharpTasksAtAnswer} sharp tasks in flight, ${late.libvipsAfterAnswerMs.toFixed(1)} ms of libvips threads in the 2 s after it (target 0: ${stopped && late.status === 504 ? 'met' : 'NOT met'}); the whole process in those 2 s ${(late.cpuAfterAnswerS * 1000).toFixed(0)} ms (garbage collection included), an idle process ${(late.cpuIdleS * 1000).toFixed(0)} ms`,
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
