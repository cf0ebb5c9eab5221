import type { IntegrationResponse, MethodResponse } from 'aws-cdk-lib/aws-apigateway';
import { ContentHandling } from 'aws-cdk-lib/aws-apigateway';
import {
  SAGEMAKER_MAX_BODY_BYTES,
  SAGEMAKER_SERVERLESS_MAX_BODY_BYTES,
} from '#shared/aws-facts.ts';
import { ENDPOINT_NAME_STAGE_VARIABLE, REQUEST_HEADERS } from '#shared/contract.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '#shared/errors.ts';
import { PROBLEM_CONTENT_TYPE } from '#shared/problem.ts';
import { problemTemplate } from './problem-template.ts';

/**
 * The passthrough route, `POST /{stage}/invocations`: an AWS integration
 * straight to SageMaker Runtime InvokeEndpoint with no Lambda in the path
 * (the approach of AWS's "API Gateway mapping templates and SageMaker" post
 * and Nishika's). The body passes through unchanged; errors are restyled by
 * integration responses chosen by SageMaker's HTTP status.
 */

/** `runtime.sagemaker.{region}.amazonaws.com`: the AWS integration's service. */
export const SAGEMAKER_RUNTIME_SERVICE = 'runtime.sagemaker';

/** InvokeEndpoint's path, with the endpoint name taken from the stage variable. */
export const INVOCATIONS_PATH = `endpoints/\${stageVariables.${ENDPOINT_NAME_STAGE_VARIABLE}}/invocations`;

/**
 * Method request -> SageMaker request headers. All other request headers are
 * dropped by SageMaker anyway; custom attributes and the inference id are
 * the two a client identifier can travel in. X-Client-Id is forwarded as is
 * (the Lambda route encodes it as `client-id=...`; a header mapping cannot).
 */
export const PASSTHROUGH_REQUEST_PARAMETERS: Readonly<Record<string, string>> = {
  'integration.request.header.Content-Type': 'method.request.header.Content-Type',
  'integration.request.header.Accept': 'method.request.header.Accept',
  'integration.request.header.X-Amzn-SageMaker-Custom-Attributes': `method.request.header.${canonical(REQUEST_HEADERS.clientId)}`,
  'integration.request.header.X-Amzn-SageMaker-Inference-Id': `method.request.header.${canonical(REQUEST_HEADERS.requestId)}`,
};

/** `x-client-id` -> `X-Client-Id`: how the headers are spelled in mappings and docs. */
function canonical(header: string): string {
  return header.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

/** How SageMaker's error statuses become the project's problems. */
export interface SageMakerErrorSpec {
  /**
   * API Gateway selection pattern, matched against SageMaker's whole status
   * code. The patterns are disjoint and cover 400..599, so no error can fall
   * through to the 200 response.
   */
  readonly selectionPattern: string;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly retryAfterSeconds?: number;
}

/**
 * The same mapping the Lambda makes (functions/predict/invoke.ts), by status
 * because an integration response can only select on that: ValidationError
 * 400, ModelError 424, ModelNotReady/throttling 429, ServiceUnavailable 503,
 * InternalFailure 500 and InternalDependencyException 530.
 */
export function sageMakerErrorSpecs(retryAfterSeconds: number): readonly SageMakerErrorSpec[] {
  const unavailable = `The endpoint is busy or not ready; retry after ${retryAfterSeconds} s.`;
  return [
    {
      selectionPattern: '400',
      code: 'ENDPOINT_REJECTED_REQUEST',
      detail:
        'SageMaker rejected the invocation (ValidationError: unknown endpoint, bad header or body); the request id identifies it in the logs.',
    },
    {
      selectionPattern: '403',
      code: 'INTERNAL_ERROR',
      detail:
        'The gateway is not allowed to invoke this endpoint; the request id identifies it in the logs.',
    },
    {
      selectionPattern: '413',
      code: 'REQUEST_TOO_LARGE',
      detail: `SageMaker accepts at most ${SAGEMAKER_MAX_BODY_BYTES} bytes per invocation (${SAGEMAKER_SERVERLESS_MAX_BODY_BYTES} on serverless endpoints).`,
    },
    {
      selectionPattern: '424',
      code: 'MODEL_ERROR',
      detail: 'The model container answered with an error (SageMaker ModelError).',
    },
    {
      selectionPattern: '429',
      code: 'ENDPOINT_UNAVAILABLE',
      detail: unavailable,
      retryAfterSeconds,
    },
    {
      selectionPattern: '503',
      code: 'ENDPOINT_UNAVAILABLE',
      detail: unavailable,
      retryAfterSeconds,
    },
    {
      // Any other 4xx: 401, 402, 404-412, 414-423, 425-428, 430-499.
      selectionPattern: '40[124-9]|41[0-24-9]|42[0-35-8]|4[3-9][0-9]',
      code: 'ENDPOINT_REJECTED_REQUEST',
      detail: 'SageMaker rejected the invocation; the request id identifies it in the logs.',
    },
    {
      // Any other 5xx: 500-502, 504-599 (InternalFailure 500, InternalDependencyException 530).
      selectionPattern: '50[0-24-9]|5[1-9][0-9]',
      code: 'ENDPOINT_FAILURE',
      detail: 'SageMaker failed; the request id identifies the request in the logs.',
    },
  ];
}

/** Headers every passthrough response carries (mapping expressions). */
function commonHeaders(corsHeaders: Record<string, string>): Record<string, string> {
  return { ...corsHeaders, 'X-Request-Id': 'context.requestId' };
}

/**
 * Integration responses: one per error spec (problem+json, converted to text
 * so the template applies whatever the Accept header), then the default,
 * which passes the model's answer through with its own Content-Type.
 */
export function passthroughIntegrationResponses(
  specs: readonly SageMakerErrorSpec[],
  corsHeaders: Record<string, string>,
): IntegrationResponse[] {
  const errors = specs.map(
    (spec): IntegrationResponse => ({
      selectionPattern: spec.selectionPattern,
      statusCode: String(ERROR_CATALOGUE[spec.code].status),
      contentHandling: ContentHandling.CONVERT_TO_TEXT,
      responseParameters: methodHeaders({
        ...commonHeaders(corsHeaders),
        'Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
        ...(spec.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': `'${spec.retryAfterSeconds}'` }),
      }),
      responseTemplates: { 'application/json': problemTemplate(spec.code, spec.detail) },
    }),
  );
  const success: IntegrationResponse = {
    statusCode: '200',
    responseParameters: methodHeaders({
      ...commonHeaders(corsHeaders),
      'Content-Type': 'integration.response.header.Content-Type',
      'X-Amzn-Invoked-Production-Variant':
        'integration.response.header.X-Amzn-Invoked-Production-Variant',
    }),
  };
  return [...errors, success];
}

/** The method responses that declare every header the integration responses set. */
export function passthroughMethodResponses(
  integrationResponses: readonly IntegrationResponse[],
): MethodResponse[] {
  const byStatus = new Map<string, Set<string>>();
  for (const response of integrationResponses) {
    const names = byStatus.get(response.statusCode) ?? new Set<string>();
    for (const name of Object.keys(response.responseParameters ?? {})) names.add(name);
    byStatus.set(response.statusCode, names);
  }
  return [...byStatus].map(([statusCode, names]) => ({
    statusCode,
    responseParameters: Object.fromEntries([...names].sort().map((name) => [name, true])),
  }));
}

function methodHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [`method.response.header.${name}`, value]),
  );
}
