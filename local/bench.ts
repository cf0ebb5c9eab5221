/**
 * `npm run bench:local`: the local stack under load, with the real model.
 *
 * 1. Throughput of 2 MP JPEG uploads through the local gateway at 8
 *    concurrent clients, against sharp + the model alone (this process
 *    normalises, the model server infers over HTTP) at the same concurrency,
 *    in the same run. Target: at least 0.8x.
 * 2. Latency under that load: p99 at most 3x p50, and no errors.
 * 3. The emulator's own cost per request (event build + size check + result
 *    translation) for that upload. Target: at most 1 ms.
 */
import '../scripts/quiet.ts';
import { loadConfig } from '#predict/config.ts';
import { normaliseImage } from '#predict/image.ts';
import { LAMBDA_MAX_EVENT_BYTES } from '#shared/aws-facts.ts';
import { environment, Settings } from '#shared/config-kit.ts';
import { buildMultipart, imagePath, loadImage } from '../fixtures/index.ts';
import { buildProxyEvent, eventBytes } from './emulation/event.ts';
import { translateResult } from './emulation/result.ts';
import { localApiModel, startLocalStack } from './stack.ts';

const CLIENTS = 8;
const failures = new Map<string, number>();
const DURATION_MS =
  new Settings(environment(process.env)).integer('BENCH_SECONDS', 8, 1, 3600) * 1000;
const KEY = 'local-bench-key-00000000000000';
const image = loadImage('photo-2mp.jpg');
const normalise = loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'bench' }).normalise;

interface Run {
  readonly completed: number;
  readonly errors: number;
  readonly latenciesMs: number[];
  readonly seconds: number;
}

/** `clients` loops calling `once` until the time is up. */
async function load(once: () => Promise<boolean>): Promise<Run> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await once().catch(() => false);
        latenciesMs.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  return {
    completed: latenciesMs.length,
    errors,
    latenciesMs,
    seconds: (performance.now() - started) / 1000,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const stack = await startLocalStack({
  port: 0,
  modelPort: 0,
  apiKey: KEY,
  // Usage plans wide open: this measures the gateway, not its throttle.
  context: {
    stages: [
      {
        stageName: 'dev',
        throttleRateLimitRps: 10_000,
        throttleBurstLimit: 5_000,
        keyRateLimitRps: 10_000,
        keyBurstLimit: 5_000,
        quotaLimit: 100_000_000,
      },
    ],
  },
});

try {
  const form = () => {
    const data = new FormData();
    data.append('image', new Blob([image], { type: 'image/jpeg' }), 'photo-2mp.jpg');
    return data;
  };
  const endToEnd = async () => {
    const response = await fetch(`${stack.url}/dev/predict`, {
      method: 'POST',
      body: form(),
      headers: { 'x-api-key': KEY },
    });
    const text = await response.text();
    if (response.status !== 200)
      failures.set(
        `${response.status} ${text.slice(0, 200)}`,
        (failures.get(`${response.status} ${text.slice(0, 200)}`) ?? 0) + 1,
      );
    return response.status === 200;
  };
  const alone = async () => {
    const normalised = await normaliseImage(image, 'bench', normalise);
    const response = await fetch(`${stack.modelUrl}/invocations`, {
      method: 'POST',
      body: normalised.input.body,
      headers: { 'Content-Type': normalised.input.contentType, Accept: 'application/json' },
    });
    await response.arrayBuffer();
    return response.status === 200;
  };

  // Warm both paths (JIT, connection pools, onnxruntime's first runs).
  await load(async () => (await endToEnd()) && (await alone()));
  const bare = await load(alone);
  const full = await load(endToEnd);
  const bareRate = bare.completed / bare.seconds;
  const fullRate = full.completed / full.seconds;
  const p50 = percentile(full.latenciesMs, 50);
  const p99 = percentile(full.latenciesMs, 99);

  // The emulator's own work for this upload, measured alone.
  const model = localApiModel();
  const boundary = '----bench';
  const body = buildMultipart(
    [{ name: 'image', filename: 'photo-2mp.jpg', contentType: 'image/jpeg', bytes: image }],
    boundary,
  );
  const response = {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ results: [] }),
  };
  const rounds = 200;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    const event = buildProxyEvent(
      {
        method: 'POST',
        path: '/predict',
        query: new URLSearchParams(),
        rawHeaders: ['Content-Type', `multipart/form-data; boundary=${boundary}`, 'x-api-key', KEY],
        body,
        sourceIp: '127.0.0.1',
      },
      {
        stage: 'dev',
        resourcePath: '/predict',
        stageVariables: { endpointName: 'image-moderation' },
        requestId: 'bench',
        requestTimeEpoch: 0,
        apiKey: KEY,
        apiKeyId: 'key',
        binaryMediaTypes: model.binaryMediaTypes,
      },
    );
    if (eventBytes(event) > LAMBDA_MAX_EVENT_BYTES) throw new Error('event too large');
    translateResult(response, 'application/json', model.binaryMediaTypes);
  }
  const emulatorMs = (performance.now() - t0) / rounds;

  console.log(
    `local stack: ${imagePath('photo-2mp.jpg').split('/').pop()} (${image.length} bytes), ${CLIENTS} clients, ${DURATION_MS / 1000} s each`,
  );
  console.log(`sharp + model alone           ${bareRate.toFixed(1)} req/s (${bare.errors} errors)`);
  console.log(
    `end to end through the gateway ${fullRate.toFixed(1)} req/s (${full.errors} errors)`,
  );
  console.log(
    `throughput ratio              ${(fullRate / bareRate).toFixed(2)}  (target >= 0.8: ${fullRate / bareRate >= 0.8 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `latency p50 / p99             ${p50.toFixed(1)} / ${p99.toFixed(1)} ms  (p99 <= 3 x p50: ${p99 <= 3 * p50 ? 'met' : 'NOT met'}; errors: ${full.errors === 0 ? 'none' : full.errors})`,
  );
  console.log(
    `emulator's own cost           ${emulatorMs.toFixed(2)} ms per request  (target <= 1 ms: ${emulatorMs <= 1 ? 'met' : 'NOT met'})`,
  );
  if (failures.size > 0) console.log('failures:', Object.fromEntries(failures));
} finally {
  await stack.stop();
}
