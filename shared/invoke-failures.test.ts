import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from './errors.ts';
import {
  answerForSageMakerError,
  answerForStatus,
  CLIENT_FAILURES,
  MODEL_MESSAGE_MAX_CHARS,
  modelErrorDetail,
  SAGEMAKER_FAILURES,
  timeoutDetail,
} from './invoke-failures.ts';

describe('the failure table', () => {
  // SageMaker's failure -> what both routes answer (code, status, Retry-After).
  it.each([
    ['ValidationError', 400, 'ENDPOINT_REJECTED_REQUEST', 502, false],
    ['ThrottlingException', 400, 'ENDPOINT_UNAVAILABLE', 503, true],
    ['AccessDeniedException', 403, 'INTERNAL_ERROR', 500, false],
    [undefined, 404, 'ENDPOINT_REJECTED_REQUEST', 502, false],
    [undefined, 413, 'REQUEST_TOO_LARGE', 413, false],
    ['ModelError', 424, 'MODEL_ERROR', 502, false],
    ['ModelNotReadyException', 429, 'ENDPOINT_UNAVAILABLE', 503, true],
    ['InternalFailure', 500, 'ENDPOINT_FAILURE', 502, false],
    ['ServiceUnavailable', 503, 'ENDPOINT_UNAVAILABLE', 503, true],
    ['InternalDependencyException', 530, 'ENDPOINT_FAILURE', 502, false],
  ] as const)('%s (%i) -> %s %i, Retry-After %s', (type, sageMaker, code, status, retryAfter) => {
    const answer = answerForSageMakerError(type, sageMaker);
    expect(answer?.code).toBe(code);
    expect(ERROR_CATALOGUE[code].status).toBe(status);
    expect(answer?.retryAfter).toBe(retryAfter);
    expect(SAGEMAKER_FAILURES.some((f) => f.errorType === type && f.status === sageMaker)).toBe(
      true,
    );
  });

  it('finds a listed type whatever the status, else goes by status', () => {
    expect(answerForSageMakerError('ThrottlingException', 429)?.code).toBe('ENDPOINT_UNAVAILABLE');
    expect(answerForSageMakerError('Unknown', 413)?.code).toBe('REQUEST_TOO_LARGE');
    expect(answerForSageMakerError('TooManyRequestsException', 429)?.code).toBe(
      'ENDPOINT_UNAVAILABLE',
    );
    expect(answerForSageMakerError('UnrecognizedClientException', 403)?.code).toBe(
      'INTERNAL_ERROR',
    );
    expect(answerForSageMakerError(undefined, undefined)).toBeUndefined();
    expect(answerForSageMakerError('TypeError', undefined)).toBeUndefined();
  });

  it('by status alone: the first failure listed with it, else the class', () => {
    // ValidationError is the likelier 400 (an unknown endpoint); ThrottlingException cannot win.
    expect(answerForStatus(400)?.code).toBe('ENDPOINT_REJECTED_REQUEST');
    expect(answerForStatus(404)?.code).toBe('ENDPOINT_REJECTED_REQUEST');
    expect(answerForStatus(599)?.code).toBe('ENDPOINT_FAILURE');
    expect(answerForStatus(302)).toBeUndefined();
  });

  it('answers a 404, which SageMaker does not document, as a rejected invocation (not a 500)', () => {
    for (const errorType of [undefined, 'SyntaxError', 'NotFound', 'UnknownError']) {
      const answer = answerForSageMakerError(errorType, 404);
      expect(answer?.code).toBe('ENDPOINT_REJECTED_REQUEST');
      expect(answer?.detail({ retryAfterSeconds: 2 })).toBe(
        'The SageMaker Runtime URL has no such endpoint (404); the request id identifies it in the logs.',
      );
    }
  });

  it('answers the caller-side failures', () => {
    expect(CLIENT_FAILURES.unreachable.code).toBe('ENDPOINT_UNAVAILABLE');
    expect(CLIENT_FAILURES.unreachable.retryAfter).toBe(true);
    expect(CLIENT_FAILURES.network.code).toBe('ENDPOINT_FAILURE');
    expect(CLIENT_FAILURES.unexpected.code).toBe('INTERNAL_ERROR');
    expect(timeoutDetail(2500)).toBe('The model did not answer within 2.5 s.');
  });

  it('words every detail without $ or # (they also go into mapping templates)', () => {
    const answers = [...SAGEMAKER_FAILURES.map((f) => f.answer), ...Object.values(CLIENT_FAILURES)];
    for (const answer of answers)
      expect(answer.detail({ retryAfterSeconds: 3 })).not.toMatch(/[$#]/);
  });
});

describe('modelErrorDetail', () => {
  it.each([
    { status: 415, message: 'No.', detail: 'The model container answered with status 415: No.' },
    { status: 418, message: undefined, detail: 'The model container answered with status 418.' },
    { status: 418, message: '', detail: 'The model container answered with status 418.' },
    { status: 500, message: 'secret', detail: 'The model container answered with status 500.' },
    { status: 0, message: 'timed out', detail: 'The model container answered with status 0.' },
    { status: undefined, message: 'x', detail: 'The model container answered with an error.' },
  ])('status $status, message $message', ({ status, message, detail }) => {
    expect(modelErrorDetail(status, message)).toBe(detail);
  });

  it(`quotes at most ${MODEL_MESSAGE_MAX_CHARS} characters of the message`, () => {
    const detail = modelErrorDetail(400, 'm'.repeat(MODEL_MESSAGE_MAX_CHARS + 1));
    expect(detail).toBe(
      `The model container answered with status 400: ${'m'.repeat(MODEL_MESSAGE_MAX_CHARS)}`,
    );
  });
});
