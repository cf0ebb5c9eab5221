/**
 * `npm run bench:model`: the model server's performance figures.
 *
 * 1. Inference: onnxruntime on one prepared 224x224 tensor, in this process.
 *    Target: median <= 10 ms. Preprocessing of a 224 px JPEG and of a
 *    1200x800 one (full-resolution decode and resize) is printed too.
 * 2. Server overhead: a 224x224 JPEG POSTed to /invocations of the server
 *    running as `npm start` runs it (its own process), sequentially; the
 *    client's round trip minus the decode and inference times the server
 *    reports in Server-Timing. Target: median <= 2 ms. The local Runtime API
 *    route's extra cost, the real SDK's round trip and the round trip of
 *    the same image as the gateway's `.npy` tensor are printed too.
 * 3. Memory: the server process's peak RSS (VmHWM) after all of the above
 *    plus a burst of parallel requests. Target: <= 300 MB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import sharp from 'sharp';
import { decodeRgb, encodeInput, prepareInput } from '#shared/model-input/prepare.ts';
import { NSFWJS_MOBILENET_V2_PROFILE } from '#shared/model-input/profile.ts';
import { Classifier } from './classifier.ts';
import { ensureNsfwjsModel } from './model/build.ts';
import { readClassifierConfig } from './model-config.ts';
import { channelAffine, prepareImage } from './preprocess.ts';
import { jpeg } from './test/images.ts';
import { runtimeClient } from './test/server.ts';

const ROUNDS = 200;
const WARM_UP = 20;
const BURST = 64;
const TARGETS = { inferenceMs: 10, overheadMs: 2, rssMb: 300 } as const;
/** A photo-sized image: decoding it at full resolution and resizing is the costly case. */
const PHOTO_WIDTH = 1200;
const PHOTO_HEIGHT = 800;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function line(
  name: string,
  value: string,
  target?: { limit: number; actual: number; unit: string },
) {
  const verdict =
    target === undefined
      ? ''
      : `  (target <= ${target.limit} ${target.unit}: ${target.actual <= target.limit ? 'met' : 'NOT met'})`;
  process.stdout.write(`${name.padEnd(52)} ${value}${verdict}\n`);
}

async function benchInference(configPath: string, image: Buffer, photo: Buffer): Promise<void> {
  const config = await readClassifierConfig(configPath);
  const classifier = await Classifier.load(config, { threads: 0 });
  const tensor = new Float32Array(classifier.imageSize);
  const affine = channelAffine(config.input);
  const prepare = async (bytes: Buffer, rounds: number) => {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await prepareImage(bytes, 'bench image', config.input, affine, tensor);
      times.push(performance.now() - start);
    }
    return times;
  };
  const decodePhoto = await prepare(photo, ROUNDS / 4);
  const decode = await prepare(image, ROUNDS);
  const single: number[] = [];
  for (let i = 0; i < WARM_UP + ROUNDS; i++) {
    const start = performance.now();
    await classifier.run(tensor, 1);
    if (i >= WARM_UP) single.push(performance.now() - start);
  }
  const batch = new Float32Array(8 * classifier.imageSize);
  for (let i = 0; i < 8; i++) batch.set(tensor, i * classifier.imageSize);
  const batched: number[] = [];
  for (let i = 0; i < 40; i++) {
    const start = performance.now();
    await classifier.run(batch, 8);
    batched.push((performance.now() - start) / 8);
  }
  await classifier.close();
  const inference = median(single);
  line(
    'inference, 1 image (median / p95)',
    `${inference.toFixed(2)} / ${percentile(single, 95).toFixed(2)} ms`,
    { limit: TARGETS.inferenceMs, actual: inference, unit: 'ms' },
  );
  line('inference per image, 8 images in runs of 2 (median)', `${median(batched).toFixed(2)} ms`);
  line('decode + normalise, 224 px JPEG (median)', `${median(decode).toFixed(2)} ms`);
  line(
    `decode + resize + normalise, ${PHOTO_WIDTH}x${PHOTO_HEIGHT} JPEG (median)`,
    `${median(decodePhoto).toFixed(2)} ms`,
  );
}

/** Starts model-server/main.ts in its own process, as `npm start` does; resolves with its URL. */
async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, PORT: '0', MODEL_SERVER_MODE: 'local' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
  });
  for (;;) {
    if ((await fetch(`${url}/ping`)).status === 200) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function serverTimings(header: string | null): number {
  // "decode;dur=1.23, inference;dur=4.56" -> 5.79
  return [...(header ?? '').matchAll(/dur=([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function benchServer(image: Buffer): Promise<void> {
  const { child, url } = await startServer();
  // The same image as the gateway sends it under the embedded profile.
  const profile = NSFWJS_MOBILENET_V2_PROFILE;
  const tensor = await encodeInput(
    prepareInput(await decodeRgb(sharp(image), profile.background), profile),
    profile,
  );
  try {
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg', ...headers },
        body: image,
      });
    const postTensor = () =>
      fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': tensor.contentType },
        body: tensor.body,
      });
    const client = runtimeClient(url);
    const auth = {
      Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sagemaker/aws4_request',
    };
    const ping: number[] = [];
    const overhead: number[] = [];
    const container: number[] = [];
    const runtime: number[] = [];
    const sdk: number[] = [];
    const npy: number[] = [];
    // Interleaved, so drift on the shared machine affects each route alike.
    for (let i = 0; i < WARM_UP + ROUNDS; i++) {
      let start = performance.now();
      await (await fetch(`${url}/ping`)).arrayBuffer();
      const viaPing = performance.now() - start;
      start = performance.now();
      const response = await post('/invocations');
      await response.arrayBuffer();
      const total = performance.now() - start;
      start = performance.now();
      await (await post('/endpoints/image-moderation/invocations', auth)).arrayBuffer();
      const viaRuntime = performance.now() - start;
      start = performance.now();
      await client.send(
        new InvokeEndpointCommand({
          EndpointName: 'image-moderation',
          ContentType: 'image/jpeg',
          Body: image,
        }),
      );
      const viaSdk = performance.now() - start;
      start = performance.now();
      await (await postTensor()).arrayBuffer();
      const viaNpy = performance.now() - start;
      if (i >= WARM_UP) {
        npy.push(viaNpy);
        ping.push(viaPing);
        container.push(total);
        overhead.push(total - serverTimings(response.headers.get('server-timing')));
        runtime.push(viaRuntime);
        sdk.push(viaSdk);
      }
    }
    client.destroy();
    const burstStart = performance.now();
    const answers = await Promise.all(
      Array.from({ length: BURST }, () => post('/invocations').then((r) => r.status)),
    );
    const burstSeconds = (performance.now() - burstStart) / 1000;
    const rss = peakRssMb(child.pid as number);

    const overheadMs = median(overhead);
    line(
      'server overhead beyond decode + inference',
      `${overheadMs.toFixed(2)} ms median, p95 ${percentile(overhead, 95).toFixed(2)} ms`,
      { limit: TARGETS.overheadMs, actual: overheadMs, unit: 'ms' },
    );
    line(
      '  of which any request costs (GET /ping round trip)',
      `${median(ping).toFixed(2)} ms median`,
    );
    line('POST /invocations round trip (median)', `${median(container).toFixed(2)} ms`);
    line(
      'Runtime API route, extra over /invocations',
      `${(median(runtime) - median(container)).toFixed(2)} ms median`,
    );
    line('real SDK InvokeEndpoint round trip (median)', `${median(sdk).toFixed(2)} ms`);
    line(
      `POST /invocations as .npy, ${(tensor.body.length / 1024).toFixed(0)} KiB (median)`,
      `${median(npy).toFixed(2)} ms`,
    );
    line(
      `${BURST} parallel requests`,
      `${answers.filter((s) => s === 200).length} answered 200 in ${burstSeconds.toFixed(2)} s (${(BURST / burstSeconds).toFixed(0)} images/s)`,
    );
    line('server peak RSS (VmHWM)', `${rss.toFixed(0)} MB`, {
      limit: TARGETS.rssMb,
      actual: rss,
      unit: 'MB',
    });
  } finally {
    child.kill('SIGTERM');
  }
}

// The SDK's advice to move to Node 22 (the Lambda runs 22) is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const configPath = await ensureNsfwjsModel();
const image = await jpeg('gradient');
const photo = await jpeg('gradient', PHOTO_WIDTH, PHOTO_HEIGHT);
process.stdout.write(`model server (nsfwjs MobileNetV2 on onnxruntime-node, ${ROUNDS} rounds)\n`);
await benchInference(configPath, image, photo);
await benchServer(image);
