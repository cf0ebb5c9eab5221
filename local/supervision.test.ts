/**
 * The local stack with the real model server, supervised as SageMaker
 * supervises a container (issue 14): killed with SIGKILL, or crashed by a
 * request (LOCAL_FAULTS=on), it serves again within 10 s; meanwhile both
 * routes answer 503 ENDPOINT_UNAVAILABLE with Retry-After.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

const KEY = 'local-supervision-test-key-0001';
let stack: LocalStack;
const log: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    modelPort: 0,
    apiKey: KEY,
    localFaults: true,
    modelLog: (line) => log.push(line),
  });
}, 90_000);
afterAll(() => stack?.stop());

function predict(attribute?: [string, string]): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([loadImage('small.jpg')], { type: 'image/jpeg' }), 'small.jpg');
  if (attribute !== undefined) form.append(...attribute);
  return fetch(`${stack.url}/dev/predict`, {
    method: 'POST',
    body: form,
    headers: { 'x-api-key': KEY },
  });
}

function invocations(): Promise<Response> {
  return fetch(`${stack.url}/dev/invocations`, {
    method: 'POST',
    body: loadImage('small.jpg'),
    headers: { 'x-api-key': KEY, 'Content-Type': 'image/jpeg' },
  });
}

async function answerOf(response: Response) {
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    code: body.code,
    detail: body.detail,
  };
}

const UNAVAILABLE = {
  status: 503,
  retryAfter: '2',
  code: 'ENDPOINT_UNAVAILABLE',
  detail: 'The endpoint is busy or not ready; retry after 2 s.',
};

/** The supervisor's lines so far, once it has reported `count` of them. */
async function supervisorLines(count: number): Promise<string[]> {
  for (;;) {
    const lines = log.filter((line) => line.startsWith('[supervisor]'));
    if (lines.length >= count) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls /predict until it answers 200; the milliseconds that took. */
async function untilServing(since: number): Promise<number> {
  for (;;) {
    const response = await predict();
    await response.arrayBuffer();
    if (response.status === 200) return performance.now() - since;
    if (performance.now() - since > 15_000) throw new Error('not serving after 15 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the supervised model server', () => {
  it('killed with SIGKILL: 503 on both routes meanwhile, serving again within 10 s', async () => {
    expect((await predict()).status).toBe(200);
    const child = stack.model;
    const exited = once(child, 'exit');
    const killed = performance.now();
    child.kill('SIGKILL');
    await exited;
    // The supervisor waits RESTART_DELAY_MS (250 ms) before starting it again.
    const [down, downPassthrough] = await Promise.all([predict(), invocations()]);
    expect(await answerOf(down)).toEqual(UNAVAILABLE);
    expect(await answerOf(downPassthrough)).toEqual(UNAVAILABLE);

    expect(await untilServing(killed)).toBeLessThan(10_000);
    expect(stack.model).not.toBe(child);
    expect((await invocations()).status).toBe(200);
    expect(await supervisorLines(2)).toEqual([
      expect.stringMatching(/^\[supervisor\] The model server was killed by SIGKILL after/),
      expect.stringMatching(/^\[supervisor\] The model server is serving again/),
    ]);
  }, 30_000);

  it('crashed by a request (fault-crash=exit): that request 503, the next ones served again', async () => {
    const child: ChildProcess = stack.model;
    const crashed = performance.now();
    const response = await predict(['fault-crash', 'exit']);
    expect(await answerOf(response)).toEqual(UNAVAILABLE);
    expect(await untilServing(crashed)).toBeLessThan(10_000);
    expect(child.exitCode).toBe(70);
    expect((await supervisorLines(4)).slice(2)).toEqual([
      expect.stringMatching(/^\[supervisor\] The model server exited with status 70 after/),
      expect.stringMatching(/^\[supervisor\] The model server is serving again/),
    ]);
  }, 30_000);
});
