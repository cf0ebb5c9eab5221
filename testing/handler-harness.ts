import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { PredictHandler } from '#predict/handler.ts';
import { lambdaContext } from '../local/emulation/lambda-context.ts';
import { assertContract } from './openapi-contract.ts';
import { handlerWith, localRuntimeClient } from './predict-handler.ts';
import { SageMakerStub } from './sagemaker-stub.ts';

/** A handler's result, with its body parsed. */
export interface Answer {
  readonly result: APIGatewayProxyResult;
  readonly body: Record<string, unknown>;
}

/** What a problem+json answer must say; `detail` is checked only when given. */
export interface ExpectedProblem {
  readonly status: number;
  readonly code: string;
  readonly detail?: string | undefined;
  /** The part it names, e.g. `image[0]`; `undefined` asserts it names none. */
  readonly part?: string | undefined;
}

/** Calls `handler` with a Lambda context of `timeoutMs` and parses the JSON body. */
export async function callHandler(
  handler: PredictHandler,
  event: APIGatewayProxyEvent,
  timeoutMs = 10_000,
): Promise<Answer> {
  const result = await handler(event, lambdaContext(timeoutMs));
  // Every answer the handler tests produce is checked against the OpenAPI document.
  assertContract('predict', {
    status: result.statusCode,
    contentType: result.headers?.['Content-Type'] as string | undefined,
    body: result.body,
  });
  return { result, body: JSON.parse(result.body) as Record<string, unknown> };
}

/** Asserts `answer` is the catalogued problem+json for `expected`, request id echoed. */
export function expectProblemIn(answer: Answer, expected: ExpectedProblem): Answer {
  const { result, body } = answer;
  expect(result.headers?.['Content-Type']).toBe('application/problem+json');
  expect({ status: result.statusCode, code: body.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  expect(body.status).toBe(expected.status);
  expect(body.type).toBe(`urn:image-inference-gateway:error:${expected.code}`);
  expect(typeof body.title).toBe('string');
  expect(body.requestId).toBe(result.headers?.['X-Request-Id']);
  if (expected.detail !== undefined) expect(body.detail).toBe(expected.detail);
  expect(body.part).toBe(expected.part);
  return answer;
}

/** The production handler against a real HTTP SageMaker stand-in. */
export interface HandlerHarness {
  /** The stand-in; reset before each test. */
  readonly stub: SageMakerStub;
  /** Runs `event` through a handler configured from `env`, its SDK client sent to the stub. */
  call(
    event: APIGatewayProxyEvent,
    env?: Record<string, string>,
    timeoutMs?: number,
  ): Promise<Answer>;
  /** `call`, then `expectProblemIn`. */
  expectProblem(
    event: APIGatewayProxyEvent,
    expected: ExpectedProblem,
    env?: Record<string, string>,
    timeoutMs?: number,
  ): Promise<Answer>;
}

/**
 * Starts a SageMaker stand-in for the calling test file (vitest hooks: start
 * before all, reset before each, stop after all). Each call builds a fresh
 * handler and SDK client, as a cold start would, so no connection or state
 * outlives one test.
 */
export function handlerHarness(): HandlerHarness {
  const stub = new SageMakerStub();
  let url = '';
  beforeAll(async () => {
    url = await stub.start();
  });
  afterAll(() => stub.stop());
  beforeEach(() => stub.reset());
  const call = (
    event: APIGatewayProxyEvent,
    env: Record<string, string> = {},
    timeoutMs = 10_000,
  ) => callHandler(handlerWith(env, localRuntimeClient(url)), event, timeoutMs);
  return {
    stub,
    call,
    expectProblem: async (event, expected, env = {}, timeoutMs = 10_000) =>
      expectProblemIn(await call(event, env, timeoutMs), expected),
  };
}
