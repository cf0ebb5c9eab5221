import { describe, expect, it } from 'vitest';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// CORS headers, the same on success and on errors.

const { call } = handlerHarness();

describe('CORS', () => {
  const allowed = { CORS_ALLOW_ORIGINS: 'https://app.example,http://localhost:3000' };

  it.each([
    {
      what: 'an allowed origin is echoed',
      origin: 'https://app.example',
      env: allowed,
      expected: 'https://app.example',
    },
    {
      what: 'another origin gets none',
      origin: 'https://evil.example',
      env: allowed,
      expected: undefined,
    },
    { what: 'any origin with *', origin: 'https://x.example', env: {}, expected: '*' },
  ])('$what, on success and on errors', async ({ origin, env, expected }) => {
    for (const event of [
      uploadEvent([imagePart('small.jpg')], { Origin: origin }),
      uploadEvent([], { Origin: origin }),
    ]) {
      const { result } = await call(event, env);
      expect(result.headers?.['Access-Control-Allow-Origin']).toBe(expected);
      expect(result.headers?.Vary).toBe('Origin');
      expect(result.headers?.['Access-Control-Expose-Headers']).toBe(
        expected === undefined ? undefined : 'x-request-id, retry-after',
      );
    }
  });
});
