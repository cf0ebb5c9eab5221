/**
 * `npm run bench:heic`: how long a phone photo in HEIC takes.
 *
 * 1. A 12 MP HEIC (4032x3024, as an iPhone takes it) through the predict
 *    handler with an instant model, in a fresh process: the first request
 *    (it loads the decoder) and the median of three more.
 *    Target: answered within 10 s.
 * 2. The same upload end to end through the local stack (`npm start`'s
 *    gateway, handler and ONNX model server).
 * 3. The largest HEIC the default limit allows (MAX_HEIC_PIXELS, square)
 *    through normaliseImage in a fresh process: CPU seconds and peak extra RSS.
 *
 * The HEIC files are made with heif-enc (libheif-examples) once and kept in
 * the system's temporary directory.
 */
import './quiet.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { buildMultipart, eventFor, loadPhoto } from '../fixtures/index.ts';
import { loadConfig } from '../functions/predict/config.ts';
import { createHandler } from '../functions/predict/handler.ts';
import { normaliseImage } from '../functions/predict/image.ts';
import { lambdaContext } from '../local/emulation/lambda-context.ts';
import { startLocalStack } from '../local/stack.ts';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from '../shared/aws-facts.ts';
import { MAX_HEIC_PIXELS } from '../shared/image-decode/pixel-limits.ts';
import { instantModel, median } from '../testing/bench-support.ts';
import { HEIF_ENC, heifEncAvailable } from './fixtures.ts';

const TARGET_S = 10;
const BOUNDARY = '------------------------8d1e2f3a4b5c6d7e';
const MB = 1024 * 1024;
const config = loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'bench' });

/** A photo-like HEIC of `width` x `height`: a real photo enlarged, with sensor-like noise. */
async function heicOf(width: number, height: number): Promise<string> {
  const file = join(tmpdir(), `image-inference-gateway-bench-${width}x${height}.heic`);
  if (existsSync(file)) return file;
  const png = join(tmpdir(), `image-inference-gateway-bench-${width}x${height}.png`);
  const { data } = await sharp(loadPhoto('chelsea.jpg'))
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let state = 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[i] = Math.max(0, Math.min(255, (data[i] ?? 0) + ((state & 3) - 2)));
  }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(png);
  execFileSync(HEIF_ENC, ['-q', '80', '-o', file, png]);
  rmSync(png);
  return file;
}

function uploadEvent(bytes: Buffer) {
  const body = buildMultipart(
    [{ name: 'image', filename: 'IMG_0001.HEIC', contentType: 'image/heic', bytes }],
    BOUNDARY,
  );
  return eventFor(body, `multipart/form-data; boundary=${BOUNDARY}`);
}

/** Child: the handler answering the HEIC, first (decoder cold) and three more. */
async function handlerChild(file: string): Promise<void> {
  const handler = createHandler(() => ({ config, client: instantModel }));
  const event = uploadEvent(readFileSync(file));
  const once = async () => {
    const started = performance.now();
    const result = await handler(event, lambdaContext(API_GATEWAY_INTEGRATION_TIMEOUT_MS));
    if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
    return (performance.now() - started) / 1000;
  };
  const first = await once();
  const warm = [await once(), await once(), await once()];
  console.log(JSON.stringify({ first, warm: median(warm) }));
}

/** Child: the largest HEIC allowed through normaliseImage: CPU and peak extra RSS. */
async function costChild(file: string): Promise<void> {
  const bytes = readFileSync(file);
  const before = process.memoryUsage.rss();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await normaliseImage(bytes, 'bench', config.normalise);
  const used = process.cpuUsage(cpu);
  const status = readFileSync('/proc/self/status', 'utf8');
  const peak = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  console.log(
    JSON.stringify({
      cpuS: (used.user + used.system) / 1e6,
      wallS: (performance.now() - started) / 1000,
      extraMb: (peak - before) / MB,
    }),
  );
}

function child(what: string, file: string): Record<string, number> {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', what, file],
    { encoding: 'utf8' },
  );
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    throw new Error(`bench child ${what} failed: ${run.stderr || run.stdout}`);
  }
  return JSON.parse(line) as Record<string, number>;
}

const at = process.argv.indexOf('--child');
if (at !== -1) {
  const [what, file] = process.argv.slice(at + 1) as [string, string];
  await (what === 'handler' ? handlerChild(file) : costChild(file));
} else if (!heifEncAvailable()) {
  console.log(`HEIC: skipped (no heif-enc at ${HEIF_ENC}; apt-get install libheif-examples)`);
} else {
  const twelve = await heicOf(4032, 3024);
  const size = (readFileSync(twelve).length / MB).toFixed(2);
  const handler = child('handler', twelve);
  const ok = (s: number) => (s <= TARGET_S ? 'ok' : 'OVER');
  console.log(
    `HEIC 12 MP (4032x3024, ${size} MB) through the handler: first ${handler.first?.toFixed(2)} s (loads the decoder), then ${handler.warm?.toFixed(2)} s (median of 3); target ${TARGET_S} s: ${ok(Math.max(handler.first ?? 0, handler.warm ?? 0))}`,
  );

  const key = 'bench-heic-key-000000000000001';
  const stack = await startLocalStack({ port: 0, modelPort: 0, apiKey: key });
  try {
    const form = new FormData();
    const bytes = readFileSync(twelve);
    form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/heic' }), 'IMG.HEIC');
    const started = performance.now();
    const response = await fetch(`${stack.url}/dev/predict`, {
      method: 'POST',
      body: form,
      headers: { 'x-api-key': key },
    });
    const body = (await response.json()) as { results?: Array<{ predictions?: unknown[] }> };
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `HEIC 12 MP end to end (local gateway, handler, ONNX model server): ${response.status} in ${seconds.toFixed(2)} s, top ${JSON.stringify(body.results?.[0]?.predictions?.[0])}; target ${TARGET_S} s: ${ok(seconds)}`,
    );
  } finally {
    await stack.stop();
  }

  const side = Math.floor(Math.sqrt(MAX_HEIC_PIXELS));
  const largest = await heicOf(side, side);
  const cost = child('cost', largest);
  console.log(
    `HEIC at the limit (${side}x${side}, ${((side * side) / 1e6).toFixed(1)} MP) through normaliseImage: ${cost.cpuS?.toFixed(2)} CPU-s, ${cost.wallS?.toFixed(2)} s, +${cost.extraMb?.toFixed(0)} MB peak RSS`,
  );
}
