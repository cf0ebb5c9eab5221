/**
 * `npm run bench:local`: the local stack under load, with the real model.
 *
 * 1. Throughput of 2 MP JPEG uploads through the local gateway at 8
 *    concurrent clients (a load generator in another process, curl's
 *    boundary), against sharp + the model alone (this process normalises,
 *    the model server infers over HTTP) at the same concurrency, in the
 *    same run. Target: at least 0.85x.
 * 2. Latency under that load: p99 at most 3x p50, and no errors.
 * 3. The emulator alone: the same upload (605 KB multipart) to the local
 *    gateway running a trivial handler, and to a bare `node:http` server
 *    that reads the body and answers, from a keep-alive client in another
 *    process. The emulator's own cost is the difference in per-request
 *    latency (one connection, alternating blocks, median of 3), page
 *    faults and garbage collection included. Target: at most 1 ms. Also
 *    printed: both servers' requests per second at 8 connections, and
 *    their page faults per request.
 */
import './quiet.ts';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '#predict/config.ts';
import { normaliseImage } from '#predict/image.ts';
import { environment, Settings } from '#shared/config-kit.ts';
import { buildMultipart, imagePath, loadImage } from '../fixtures/index.ts';
import { readApiModel } from '../local/emulation/api-model.ts';
import { createGateway } from '../local/gateway.ts';
import { startLocalStack } from '../local/stack.ts';
import { synthesizeInChild } from '../local/synth.ts';
import { median, medianRange } from '../testing/bench-support.ts';

const CLIENTS = 8;
/** Rounds of the throughput comparison (each: the floor, then the gateway, or the other way round). */
const THROUGHPUT_ROUNDS = 5;
const failures = new Map<string, number>();
const DURATION_MS =
  new Settings(environment(process.env)).integer('BENCH_SECONDS', 5, 1, 3600) * 1000;
const KEY = 'local-bench-key-00000000000000';
/** A boundary as `curl -F` makes one (24 dashes, 16 hex digits): its length sets how far a search can skip. */
const CURL_BOUNDARY = '------------------------d74496d66958873e';
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

// Usage plans wide open: this measures the gateway, not its throttle.
const WIDE_OPEN = {
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
};

/**
 * The load generator of the emulator comparison, in its own process (its
 * allocations are not the servers'): POSTs `body` to a URL over a
 * keep-alive agent, `count` times on `connections` connections, and
 * reports each request's latency in milliseconds.
 */
const CLIENT = `
const { Agent, request } = require('node:http');
let body;
process.on('message', ({ url, headers, count, connections, bodyBase64 }) => {
  if (bodyBase64) { body = Buffer.from(bodyBase64, 'base64'); process.send({ latencies: [], seconds: 0, failures: [] }); return; }
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const failures = [];
  let started = 0;
  const one = () => new Promise((resolve) => {
    const t = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        latencies.push(performance.now() - t);
        if (res.statusCode !== 200) failures.push(res.statusCode + ' ' + Buffer.concat(chunks).toString().slice(0, 200));
        resolve();
      });
    });
    req.on('error', (error) => { latencies.push(performance.now() - t); failures.push(String(error)); resolve(); });
    req.end(body);
  });
  const worker = async () => { while (started < count) { started++; await one(); } };
  const t0 = performance.now();
  Promise.all(Array.from({ length: connections }, worker)).then(() => {
    agent.destroy();
    process.send({ latencies, seconds: (performance.now() - t0) / 1000, failures });
  });
});`;

interface ClientRun {
  /** Every request's, in milliseconds, answered or not. */
  readonly latencies: number[];
  readonly seconds: number;
  /** `status body` (or the socket error) of each request not answered 200. */
  readonly failures: string[];
}

/** Starts the load generator; `run` sends one batch and resolves with its figures. */
function loadGenerator(body: Buffer) {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (message: object) =>
    new Promise<ClientRun>((resolve) => {
      child.once('message', (reply: ClientRun) => resolve(reply));
      child.send(message);
    });
  return {
    ready: ask({ bodyBase64: body.toString('base64') }),
    run: (url: string, headers: Record<string, string>, count: number, connections: number) =>
      ask({ url, headers, count, connections }),
    stop: () => child.kill(),
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Minor page faults of this process since `since` (a `process.resourceUsage()`). */
const faultsSince = (since: number) => process.resourceUsage().minorPageFault - since;

/**
 * The emulator's own cost: the local gateway with a trivial handler against
 * a bare node:http server, same upload, same client.
 */
async function emulatorComparison(): Promise<void> {
  const boundary = CURL_BOUNDARY;
  const body = buildMultipart(
    [{ name: 'image', filename: 'photo-2mp.jpg', contentType: 'image/jpeg', bytes: image }],
    boundary,
  );
  const answer = JSON.stringify({ results: [] });
  const bare = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(answer);
    });
  });
  const gateway = createGateway({
    model: readApiModel(await synthesizeInChild(WIDE_OPEN)),
    apiKey: KEY,
    sagemakerUrl: 'http://127.0.0.1:9',
    handlerFor: () => async () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: answer,
    }),
  });
  const urls = {
    bare: `${await listen(bare)}/dev/predict`,
    gateway: `${await listen(gateway)}/dev/predict`,
  };
  const headers = { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'x-api-key': KEY };
  const generator = loadGenerator(body);
  // Every request of this comparison must be answered 200.
  const client = {
    ...generator,
    run: async (
      url: string,
      headers: Record<string, string>,
      count: number,
      connections: number,
    ) => {
      const run = await generator.run(url, headers, count, connections);
      if (run.failures.length > 0) throw new Error(`${url}: ${run.failures[0]}`);
      return run;
    },
  };
  await client.ready;
  try {
    for (const url of Object.values(urls)) await client.run(url, headers, 200, 8);
    const latency: Record<'bare' | 'gateway', number[]> = { bare: [], gateway: [] };
    const faults: Record<'bare' | 'gateway', number[]> = { bare: [], gateway: [] };
    const rate: Record<'bare' | 'gateway', number[]> = { bare: [], gateway: [] };
    const SEQUENTIAL = 200;
    const CONCURRENT = 800;
    for (let round = 0; round < 3; round++) {
      // Alternate which goes first.
      const order =
        round % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const);
      for (const side of order) {
        const before = process.resourceUsage().minorPageFault;
        const one = await client.run(urls[side], headers, SEQUENTIAL, 1);
        faults[side].push(faultsSince(before) / SEQUENTIAL);
        latency[side].push(median(one.latencies));
        const eight = await client.run(urls[side], headers, CONCURRENT, CLIENTS);
        rate[side].push(CONCURRENT / eight.seconds);
      }
    }
    const overheads = latency.gateway.map((ms, i) => ms - (latency.bare[i] as number));
    const cost = median(overheads);
    console.log(
      `emulator alone: the same upload (${body.length} bytes multipart), a trivial handler, keep-alive client in another process, 3 rounds`,
    );
    console.log(
      `  bare node:http server       ${medianRange(latency.bare, 2)} ms per request, ${medianRange(rate.bare, 0)} req/s at ${CLIENTS} connections, ${median(faults.bare).toFixed(0)} page faults per request`,
    );
    console.log(
      `  local gateway               ${medianRange(latency.gateway, 2)} ms per request, ${medianRange(rate.gateway, 0)} req/s at ${CLIENTS} connections, ${median(faults.gateway).toFixed(0)} page faults per request`,
    );
    console.log(
      `emulator's own cost           ${medianRange(overheads, 2)} ms per request over the bare server  (target <= 1 ms: ${cost <= 1 ? 'met' : 'NOT met'})`,
    );
  } finally {
    client.stop();
    gateway.closeAllConnections();
    bare.closeAllConnections();
    await Promise.all([bare, gateway].map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

const stack = await startLocalStack({
  port: 0,
  modelPort: 0,
  apiKey: KEY,
  context: WIDE_OPEN,
});

try {
  // The load generator runs in its own process and sends the same multipart
  // bytes every time over keep-alive connections, as curl or autocannon
  // would: its own work (encoding a FormData, writing 605 KB, reading the
  // answer) is not the gateway's.
  const upload = buildMultipart(
    [{ name: 'image', filename: 'photo-2mp.jpg', contentType: 'image/jpeg', bytes: image }],
    CURL_BOUNDARY,
  );
  const client = loadGenerator(upload);
  const url = `${stack.url}/dev/predict`;
  const headers = {
    'Content-Type': `multipart/form-data; boundary=${CURL_BOUNDARY}`,
    'x-api-key': KEY,
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
  /** The gateway side: as many requests as the floor answered in its round's time, at the same concurrency. */
  const endToEnd = async (count: number): Promise<Run> => {
    const run = await client.run(url, headers, count, CLIENTS);
    for (const failure of run.failures) failures.set(failure, (failures.get(failure) ?? 0) + 1);
    return {
      completed: run.latencies.length - run.failures.length,
      errors: run.failures.length,
      latenciesMs: run.latencies,
      seconds: run.seconds,
    };
  };

  await client.ready;
  // Warm both paths (JIT, connection pools, onnxruntime's first runs).
  const warm = await load(alone);
  await endToEnd(Math.max(2 * CLIENTS, warm.completed));
  // Rounds alternating which goes first: the ratio of each round. Five, as
  // a 2-core machine's speed drifts from round to round by several per cent.
  const rounds: { bareRate: number; fullRate: number; full: Run; bare: Run }[] = [];
  let count = Math.max(2 * CLIENTS, warm.completed);
  try {
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      let bare: Run;
      let full: Run;
      if (round % 2 === 0) {
        bare = await load(alone);
        count = Math.max(2 * CLIENTS, bare.completed);
        full = await endToEnd(count);
      } else {
        full = await endToEnd(count);
        bare = await load(alone);
        count = Math.max(2 * CLIENTS, bare.completed);
      }
      rounds.push({
        bare,
        full,
        bareRate: bare.completed / bare.seconds,
        fullRate: full.completed / full.seconds,
      });
    }
  } finally {
    client.stop();
  }
  const ratios = rounds.map((r) => r.fullRate / r.bareRate);
  const ratio = median(ratios);
  const latencies = rounds.flatMap((r) => r.full.latenciesMs);
  const errors = rounds.reduce((sum, r) => sum + r.full.errors, 0);
  const bareErrors = rounds.reduce((sum, r) => sum + r.bare.errors, 0);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);

  console.log(
    `local stack: ${imagePath('photo-2mp.jpg').split('/').pop()} (${image.length} bytes), ${CLIENTS} clients, ${THROUGHPUT_ROUNDS} rounds: the floor for ${DURATION_MS / 1000} s, then as many uploads through the gateway from a load generator in another process`,
  );
  console.log(
    `sharp + model alone           ${medianRange(
      rounds.map((r) => r.bareRate),
      1,
    )} req/s (${bareErrors} errors)`,
  );
  console.log(
    `end to end through the gateway ${medianRange(
      rounds.map((r) => r.fullRate),
      1,
    )} req/s (${errors} errors)`,
  );
  console.log(
    `throughput ratio              ${medianRange(ratios, 2)}  (target >= 0.85: ${ratio >= 0.85 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `latency p50 / p99             ${p50.toFixed(1)} / ${p99.toFixed(1)} ms  (p99 <= 3 x p50: ${p99 <= 3 * p50 ? 'met' : 'NOT met'}; errors: ${errors === 0 ? 'none' : errors})`,
  );
  if (failures.size > 0) console.log('failures:', Object.fromEntries(failures));
} finally {
  await stack.stop();
}
await emulatorComparison();
