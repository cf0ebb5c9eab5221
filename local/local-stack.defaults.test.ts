/**
 * The local stack as a default `npm start` runs it: no client can provoke
 * the model server's faults (issue 14, item 1), and an oversized body on
 * the passthrough route always gets SageMaker's 413 (issue 12).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAGEMAKER_MAX_BODY_BYTES } from '#shared/aws-facts.ts';
import { loadImage } from '../fixtures/index.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

const KEY = 'local-defaults-test-key-00001';
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, modelPort: 0, apiKey: KEY });
}, 90_000);
afterAll(() => stack?.stop());

describe('a default start (LOCAL_FAULTS off)', () => {
  it('treats fault-* form fields as ordinary text fields: fault-crash=exit cannot stop the model server', async () => {
    for (const [name, value] of [
      ['fault-crash', 'exit'],
      ['fault-status', '500'],
      ['fault-runtime-error', 'ServiceUnavailable'],
    ] as const) {
      const form = new FormData();
      form.append('image', new Blob([loadImage('small.jpg')], { type: 'image/jpeg' }), 'a.jpg');
      form.append(name, value);
      const response = await fetch(`${stack.url}/dev/predict`, {
        method: 'POST',
        body: form,
        headers: { 'x-api-key': KEY },
      });
      expect(response.status).toBe(200);
    }
    expect(stack.model.exitCode).toBeNull();
  });

  it('ignores X-Client-Id: fault-crash=exit on /invocations', async () => {
    const response = await fetch(`${stack.url}/dev/invocations`, {
      method: 'POST',
      body: loadImage('small.jpg'),
      headers: {
        'x-api-key': KEY,
        'Content-Type': 'image/jpeg',
        'X-Client-Id': 'fault-crash=exit',
      },
    });
    expect(response.status).toBe(200);
    expect(stack.model.exitCode).toBeNull();
  });
});

describe('a body over 6 MB on /invocations', () => {
  it('gets 413 REQUEST_TOO_LARGE every time, though SageMaker answers before reading it all', async () => {
    const body = Buffer.alloc(SAGEMAKER_MAX_BODY_BYTES + 1, 0x41);
    const statuses: string[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${stack.url}/dev/invocations`, {
        method: 'POST',
        body,
        headers: { 'x-api-key': KEY, 'Content-Type': 'image/jpeg' },
      });
      const { code } = (await response.json()) as { code: string };
      statuses.push(`${response.status} ${code}`);
    }
    expect(statuses).toEqual(Array(20).fill('413 REQUEST_TOO_LARGE'));
  }, 60_000);
});
