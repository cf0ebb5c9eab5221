import type { IntegrationResponse, MethodResponse } from 'aws-cdk-lib/aws-apigateway';
import { ContentHandling } from 'aws-cdk-lib/aws-apigateway';
import { ENDPOINT_NAME_STAGE_VARIABLE, REQUEST_HEADERS } from '#shared/contract.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '#shared/errors.ts';
import {
  answerForStatus,
  type FailureAnswer,
  SAGEMAKER_FAILURES,
} from '#shared/invoke-failures.ts';
import { PROBLEM_CONTENT_TYPE } from '#shared/problem.ts';
import {
  canonical,
  modelErrorTemplate,
  overriddenStatuses,
  requestHeaderChecksTemplate,
} from './passthrough-templates.ts';
import { problemTemplate } from './problem-template.ts';

/**
 * The passthrough route, `POST /{stage}/invocations`: an AWS integration
 * straight to SageMaker Runtime InvokeEndpoint with no Lambda in the path
 * (the approach of AWS's "API Gateway mapping templates and SageMaker" post
 * and Nishika's). The body passes through unchanged; errors are restyled by
 * integration responses generated from the failure table `/predict` maps
 * with (shared/invoke-failures.ts), chosen by SageMaker's HTTP status, and
 * the headers `/predict` checks are checked in the 400 answer
 * (passthrough-templates.ts).
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

/** How SageMaker's error statuses become the project's problems. */
export interface SageMakerErrorSpec {
  /**
   * API Gateway selection pattern, matched against SageMaker's whole status
   * code. The patterns are disjoint and cover 400..599, so no error can fall
   * through to the 200 response.
   */
  readonly selectionPattern: string;
  readonly code: ErrorCode;
  /** The detail when the template has nothing more to go on. */
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  /** The `application/json` response template (VTL): the problem body. */
  readonly template: string;
}

/**
 * A selection pattern matching exactly the statuses of `century` (4 or 5)
 * that are not in `exclude`: `40[124-9]|41[0-24-9]|...`.
 */
export function otherStatusesPattern(century: 4 | 5, exclude: readonly number[]): string {
  const digits = (set: readonly number[]) => {
    const ranges: string[] = [];
    for (let i = 0; i < set.length; i++) {
      let j = i;
      while (set[j + 1] === (set[j] as number) + 1) j++;
      ranges.push(
        j === i ? `${set[i]}` : j === i + 1 ? `${set[i]}${set[j]}` : `${set[i]}-${set[j]}`,
      );
      i = j;
    }
    return ranges.length === 1 && ranges[0]?.length === 1
      ? (ranges[0] as string)
      : `[${ranges.join('')}]`;
  };
  const alternatives: string[] = [];
  const fullTens: number[] = [];
  for (let tens = 0; tens <= 9; tens++) {
    const units = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(
      (unit) => !exclude.includes(century * 100 + tens * 10 + unit),
    );
    if (units.length === 10) fullTens.push(tens);
    else if (units.length > 0) alternatives.push(`${century}${tens}${digits(units)}`);
  }
  if (fullTens.length > 0) alternatives.push(`${century}${digits(fullTens)}[0-9]`);
  return alternatives.join('|');
}

/**
 * The passthrough's answers to SageMaker's errors, generated from the
 * failure table (shared/invoke-failures.ts) that `/predict` maps with. An
 * integration response of an AWS integration is selected by the HTTP
 * status alone (API Gateway API reference, IntegrationResponse
 * `selectionPattern`: "For all other HTTP and AWS back ends, the HTTP
 * status code is matched"), and its mapping template can read the error
 * body but not SageMaker's `x-amzn-errortype` header (integration response
 * headers are only a parameter-mapping source, copied into a response
 * header; API Gateway developer guide, "Parameter mapping source reference
 * for REST APIs"). So each status gets the answer the table gives when only
 * the status is known, and SageMaker's error bodies carry no type (only a
 * message, which this project never decides by). What cannot be told apart:
 * - 400: ValidationError (unknown endpoint, refused header or body) and
 *   ThrottlingException: a throttled call answers 502
 *   ENDPOINT_REJECTED_REQUEST without Retry-After here, 503 ENDPOINT_UNAVAILABLE
 *   on `/predict`. The 400 template does check X-Request-Id and X-Client-Id
 *   (the causes SageMaker refuses and `/predict` checks first).
 * - 403: AccessDeniedException and the other credential errors all answer
 *   500 INTERNAL_ERROR, as on `/predict`; an AccessDeniedException sent as
 *   400 (older AWS documentation) would answer as a ValidationError.
 * - Any error type the table does not list answers by its status class.
 * The ModelError template reads the container's status and message from
 * the body, which SageMaker sends there (not only in a header).
 */
export function sageMakerErrorSpecs(retryAfterSeconds: number): readonly SageMakerErrorSpec[] {
  const statuses = [...new Set(SAGEMAKER_FAILURES.map((failure) => failure.status))];
  const spec = (selectionPattern: string, status: number): SageMakerErrorSpec => {
    const answer = answerForStatus(status) as FailureAnswer;
    const detail = answer.detail({ retryAfterSeconds });
    const problem = problemTemplate(answer.code, detail);
    const template =
      answer.code === 'MODEL_ERROR'
        ? modelErrorTemplate()
        : status === REQUEST_HEADERS_REFUSED_STATUS
          ? requestHeaderChecksTemplate(problem)
          : problem;
    return {
      selectionPattern,
      code: answer.code,
      detail,
      ...(answer.retryAfter ? { retryAfterSeconds } : {}),
      template,
    };
  };
  return [
    ...statuses.map((status) => spec(String(status), status)),
    // Any other 4xx and 5xx, by class.
    spec(otherStatusesPattern(4, statuses), 499),
    spec(otherStatusesPattern(5, statuses), 599),
  ];
}

/** The status of SageMaker's ValidationError, which also refuses a bad InferenceId or CustomAttributes. */
const REQUEST_HEADERS_REFUSED_STATUS = 400;

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
      responseTemplates: { 'application/json': spec.template },
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

/**
 * The method responses that declare every header the integration responses
 * set, including the statuses their templates override to.
 */
export function passthroughMethodResponses(
  integrationResponses: readonly IntegrationResponse[],
): MethodResponse[] {
  const byStatus = new Map<string, Set<string>>();
  for (const response of integrationResponses) {
    // A template that overrides the status answers with the same headers.
    const template = response.responseTemplates?.['application/json'] ?? '';
    for (const status of [response.statusCode, ...overriddenStatuses(template).map(String)]) {
      const names = byStatus.get(status) ?? new Set<string>();
      for (const name of Object.keys(response.responseParameters ?? {})) names.add(name);
      byStatus.set(status, names);
    }
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
