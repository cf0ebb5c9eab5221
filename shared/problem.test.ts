import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES, GatewayError } from './errors.ts';
import { toProblem } from './problem.ts';

describe('toProblem', () => {
  it('describes a gateway error with its catalogue status and title', () => {
    const error = new GatewayError('FILE_TOO_LARGE', 'too big', { part: 'image[1]' });
    expect(toProblem(error, 'req-1')).toEqual({
      type: 'urn:image-inference-gateway:error:FILE_TOO_LARGE',
      title: 'File too large',
      status: 413,
      detail: 'too big',
      code: 'FILE_TOO_LARGE',
      requestId: 'req-1',
      part: 'image[1]',
    });
  });

  it('hides everything about an unknown error', () => {
    const problem = toProblem(new Error('ENOENT /var/task/secret.txt'), 'req-2');
    expect(problem).toEqual({
      type: 'urn:image-inference-gateway:error:INTERNAL_ERROR',
      title: 'Internal error',
      status: 500,
      detail: 'The gateway failed unexpectedly; the request id identifies it in the logs.',
      code: 'INTERNAL_ERROR',
      requestId: 'req-2',
    });
  });

  it.each(ERROR_CODES)('%s has a valid status and a title', (code) => {
    const { status, title } = ERROR_CATALOGUE[code];
    expect(new GatewayError(code, 'x').status).toBe(status);
    expect(title.length).toBeGreaterThan(0);
  });

  it('withPart keeps code, detail and cause, and never overwrites a part', () => {
    const cause = new Error('inner');
    const error = new GatewayError('EMPTY_FILE', 'empty', { cause }).withPart('image[0]');
    expect([error.code, error.detail, error.part, error.cause]).toEqual([
      'EMPTY_FILE',
      'empty',
      'image[0]',
      cause,
    ]);
    expect(error.withPart('image[9]').part).toBe('image[0]');
  });
});
