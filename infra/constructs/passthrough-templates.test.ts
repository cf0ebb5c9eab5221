import { describe, expect, it } from 'vitest';
import { INFERENCE_ID_PATTERN } from '#shared/aws-facts.ts';
import { ERROR_CATALOGUE } from '#shared/errors.ts';
import {
  answerForSageMakerError,
  INVALID_REQUEST_ID_DETAIL,
  MODEL_MESSAGE_MAX_CHARS,
  modelErrorDetail,
  SAGEMAKER_FAILURES,
} from '#shared/invoke-failures.ts';
import type { Problem } from '#shared/problem.ts';
import { renderResponse, type TemplateCall } from '../../testing/mapping-template.ts';
import { otherStatusesPattern, sageMakerErrorSpecs } from './passthrough.ts';
import { modelErrorTemplate, overriddenStatuses } from './passthrough-templates.ts';

const specs = sageMakerErrorSpecs(2);

/** The spec API Gateway selects for a SageMaker status (patterns match the whole code). */
function specFor(status: number) {
  const [spec, ...others] = specs.filter((s) =>
    new RegExp(`^(?:${s.selectionPattern})$`).test(String(status)),
  );
  expect(others).toEqual([]);
  if (spec === undefined) throw new Error(`no spec selects ${status}`);
  return spec;
}

/** What the client gets: the override or the integration response's status, and the body. */
function answer(status: number, call: TemplateCall = {}) {
  const spec = specFor(status);
  const rendered = renderResponse(spec.template, call);
  return {
    status: rendered.status ?? ERROR_CATALOGUE[spec.code].status,
    problem: JSON.parse(rendered.output) as Problem,
    retryAfterSeconds: spec.retryAfterSeconds,
  };
}

describe('the passthrough answers SageMaker from the failure table', () => {
  it.each(
    SAGEMAKER_FAILURES.map((failure) => ({ ...failure, type: failure.errorType ?? '(none)' })),
  )('$type ($status) answers as /predict, unless its status is shared', (failure) => {
    const predict = answerForSageMakerError(failure.errorType, failure.status);
    const got = answer(failure.status);
    // Only the status reaches an integration response: 400 is ValidationError's answer.
    const expected =
      failure.errorType === 'ThrottlingException' ? 'ENDPOINT_REJECTED_REQUEST' : predict?.code;
    expect(got.problem.code).toBe(expected);
    expect(got.status).toBe(ERROR_CATALOGUE[got.problem.code].status);
    if (failure.errorType !== 'ThrottlingException') {
      expect(got.problem.detail).toBe(
        failure.errorType === 'ModelError'
          ? modelErrorDetail(undefined, undefined)
          : predict?.detail({ retryAfterSeconds: 2 }),
      );
      expect(got.retryAfterSeconds).toBe(predict?.retryAfter ? 2 : undefined);
    }
  });

  it('covers every other 4xx and 5xx by class, as /predict does', () => {
    expect(answer(404).problem.code).toBe('ENDPOINT_REJECTED_REQUEST');
    expect(answer(502).problem.code).toBe('ENDPOINT_FAILURE');
    expect(otherStatusesPattern(4, [400, 403, 413, 424, 429])).toBe(
      '40[124-9]|41[0-24-9]|42[0-35-8]|4[3-9][0-9]',
    );
    expect(otherStatusesPattern(5, [500, 503, 530])).toBe('50[124-9]|53[1-9]|5[124-9][0-9]');
  });
});

describe('the 400 answer checks the headers /predict checks', () => {
  const longId = 'r'.repeat(65);

  it.each<{ what: string; headers: Record<string, string> }>([
    { what: 'an X-Request-Id of 65 characters', headers: { 'X-Request-Id': longId } },
    { what: 'the same in lower case (HTTP/2)', headers: { 'x-request-id': longId } },
    { what: 'a leading space', headers: { 'X-Request-Id': ' id' } },
    { what: 'a control character', headers: { 'X-Request-Id': 'a\u0001b' } },
    {
      what: 'a bad id and a long X-Client-Id (the id is checked first)',
      headers: { 'X-Request-Id': longId, 'X-Client-Id': 'c'.repeat(2000) },
    },
  ])('400 INVALID_REQUEST_ID for $what', ({ headers }) => {
    expect(answer(400, { headers })).toMatchObject({
      status: 400,
      problem: {
        code: 'INVALID_REQUEST_ID',
        status: 400,
        detail: INVALID_REQUEST_ID_DETAIL,
        requestId: 'req-1',
      },
    });
  });

  it('400 CUSTOM_ATTRIBUTES_TOO_LONG for an X-Client-Id over 1024 characters, with its length', () => {
    expect(answer(400, { headers: { 'x-client-id': 'c'.repeat(1025) } })).toMatchObject({
      status: 400,
      problem: {
        code: 'CUSTOM_ATTRIBUTES_TOO_LONG',
        status: 400,
        detail:
          'X-Client-Id has 1025 characters; SageMaker allows 1024 characters of custom attributes.',
      },
    });
  });

  it.each<{ what: string; headers: Record<string, string> }>([
    { what: 'no headers', headers: {} },
    { what: 'a 64-character id', headers: { 'X-Request-Id': 'r'.repeat(64) } },
    { what: 'a 1024-character client id', headers: { 'X-Client-Id': 'c'.repeat(1024) } },
  ])('otherwise the ValidationError answer ($what)', ({ headers }) => {
    expect(answer(400, { headers })).toMatchObject({
      status: 502,
      problem: { code: 'ENDPOINT_REJECTED_REQUEST', status: 502 },
    });
  });

  it('matches X-Request-Id with the same rule as /predict, and only the 400 answer overrides', () => {
    expect(specFor(400).template).toContain(`.matches('${INFERENCE_ID_PATTERN}')`);
    expect(specs.filter((s) => overriddenStatuses(s.template).length > 0)).toEqual([specFor(400)]);
  });
});

describe('the ModelError answer quotes the container as /predict does', () => {
  const quoting = `it's "quoted" \\ back\\slash / slash\nnew line\ttab é 日本 😀`;
  it.each([
    { status: 415, message: 'Content type image/bmp is not served.' },
    { status: 400, message: '{"message":"Injected fault: status 400"}' },
    { status: 422, message: quoting },
    { status: 499, message: 'x'.repeat(MODEL_MESSAGE_MAX_CHARS + 100) },
    { status: 418, message: '' },
    { status: 418, message: undefined },
    { status: 500, message: 'secret stack trace' },
    { status: 0, message: 'Your invocation timed out' },
    { status: undefined, message: 'no status' },
  ])('status $status', ({ status, message }) => {
    const body = {
      message: 'SageMaker says',
      OriginalStatusCode: status,
      OriginalMessage: message,
    };
    const rendered = renderResponse(modelErrorTemplate(), { body });
    expect(rendered.status).toBeUndefined();
    const problem = JSON.parse(rendered.output) as Problem;
    expect(problem).toMatchObject({ code: 'MODEL_ERROR', status: 502, requestId: 'req-1' });
    expect(problem.detail).toBe(modelErrorDetail(status, message));
    expect(problem.detail).not.toContain('secret');
  });
});
