import * as apigw from 'aws-cdk-lib/aws-apigateway';
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_MAX_REQUEST_BYTES,
  LAMBDA_MAX_EVENT_BYTES,
} from '#shared/aws-facts.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '#shared/errors.ts';
import { PROBLEM_CONTENT_TYPE } from '#shared/problem.ts';
import { corsResponseHeaders } from './cors.ts';
import { GATEWAY_MESSAGE, problemTemplate } from './problem-template.ts';

/** `Retry-After` on THROTTLED: a token bucket refills within a second at any rate >= 1 rps. */
export const THROTTLED_RETRY_AFTER_SECONDS = 1;

/** How one error API Gateway makes itself is restyled. */
export interface GatewayResponseSpec {
  /** The gateway response type (`AWS::ApiGateway::GatewayResponse.ResponseType`). */
  readonly type: string;
  readonly code: ErrorCode;
  /** A fixed sentence, or GATEWAY_MESSAGE to pass on API Gateway's own. */
  readonly detail: string;
  readonly retryAfterSeconds?: number;
}

/**
 * Every gateway response the API defines, each with an explicit status (its
 * code's), so the body's `status` is always the HTTP status. That matters
 * for DEFAULT_4XX and DEFAULT_5XX: a fallback keeps the original status
 * unless given one, and no template variable tells a template what that
 * status is. Every type that can fire on this API (API keys, a parameter
 * validator, Lambda and AWS integrations; no authorizer, IAM auth or WAF)
 * has its own entry, so the fallbacks only see what AWS adds later.
 */
export const GATEWAY_RESPONSES: readonly GatewayResponseSpec[] = [
  { type: 'DEFAULT_4XX', code: 'REQUEST_REJECTED', detail: GATEWAY_MESSAGE },
  {
    // In practice what reaches DEFAULT_5XX is AWS's 502 for a Lambda that
    // failed, outlived its timeout or returned an invalid result (malformed,
    // over LAMBDA_MAX_RESPONSE_BYTES): fixed at 502 so clients see the status
    // AWS would send.
    type: 'DEFAULT_5XX',
    code: 'INTEGRATION_FAILURE',
    detail:
      'API Gateway got no valid answer from its backend (it failed or returned an invalid result); the request id identifies the request in the logs.',
  },
  {
    type: 'INVALID_API_KEY',
    code: 'INVALID_API_KEY',
    detail:
      "Send an API key of this stage in the x-api-key header; the key is missing, unknown, disabled, or not in this stage's usage plan.",
  },
  {
    type: 'MISSING_AUTHENTICATION_TOKEN',
    code: 'MISSING_AUTHENTICATION_TOKEN',
    detail:
      'No route matches this method and path; the API serves POST /{stage}/predict and POST /{stage}/invocations.',
  },
  {
    type: 'THROTTLED',
    code: 'THROTTLED',
    detail: "Too many requests for this stage or this API key's rate limit; retry later.",
    retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
  },
  {
    type: 'QUOTA_EXCEEDED',
    code: 'QUOTA_EXCEEDED',
    detail: "This API key has used its usage plan's request quota for the current period.",
  },
  {
    type: 'INTEGRATION_TIMEOUT',
    code: 'ENDPOINT_TIMEOUT',
    detail: `No answer within API Gateway's integration timeout (${API_GATEWAY_INTEGRATION_TIMEOUT_MS / 1000} s).`,
  },
  {
    type: 'INTEGRATION_FAILURE',
    code: 'INTEGRATION_FAILURE',
    detail:
      'API Gateway could not invoke its backend; the request id identifies the request in the logs.',
  },
  {
    type: 'API_CONFIGURATION_ERROR',
    code: 'INTERNAL_ERROR',
    detail: 'The API is misconfigured; the request id identifies the request in the logs.',
  },
  {
    type: 'BAD_REQUEST_PARAMETERS',
    code: 'BAD_REQUEST_PARAMETERS',
    detail: 'The Content-Type header is required (multipart/form-data for /predict).',
  },
  {
    type: 'BAD_REQUEST_BODY',
    code: 'BAD_REQUEST_BODY',
    detail: "The request body does not match the method's request model.",
  },
  {
    // Observed: API Gateway answers its own limit (API_GATEWAY_MAX_REQUEST_BYTES)
    // before gateway responses apply, with a plain-text 413; this response
    // restyles the 413s that do go through it.
    type: 'REQUEST_TOO_LARGE',
    code: 'REQUEST_TOO_LARGE',
    detail: `The request is larger than API Gateway accepts (${API_GATEWAY_MAX_REQUEST_BYTES} bytes) or than a Lambda event can carry (${LAMBDA_MAX_EVENT_BYTES} bytes, about 4.4 MB of file once base64-encoded).`,
  },
];

/** The parts of a gateway response the API adds, in CDK's terms. */
export interface RenderedGatewayResponse {
  readonly type: string;
  readonly statusCode: string;
  /** Header name -> mapping expression (quoted static value or request mapping). */
  readonly responseHeaders: Record<string, string>;
  /** Keyed `application/json`: the template API Gateway falls back to for any Accept. */
  readonly templates: Record<string, string>;
}

/** A spec as CDK's `addGatewayResponse` options, with the CORS headers added. */
export function renderGatewayResponse(
  spec: GatewayResponseSpec,
  corsHeaders: Record<string, string>,
): RenderedGatewayResponse {
  const headers: Record<string, string> = {
    ...corsHeaders,
    // The template key only selects the template; this sets the media type.
    'Content-Type': `'${PROBLEM_CONTENT_TYPE}'`,
  };
  if (spec.retryAfterSeconds !== undefined) headers['Retry-After'] = `'${spec.retryAfterSeconds}'`;
  return {
    type: spec.type,
    statusCode: String(ERROR_CATALOGUE[spec.code].status),
    responseHeaders: headers,
    templates: { 'application/json': problemTemplate(spec.code, spec.detail) },
  };
}

/**
 * Adds every response of GATEWAY_RESPONSES to `restApi`, each with the CORS
 * headers for `corsOrigins` (construct ids: the response types).
 */
export function addGatewayResponses(restApi: apigw.RestApi, corsOrigins: readonly string[]): void {
  const cors = corsResponseHeaders(corsOrigins, 'gateway-response');
  for (const spec of GATEWAY_RESPONSES) {
    const rendered = renderGatewayResponse(spec, cors);
    restApi.addGatewayResponse(rendered.type, {
      type: apigw.ResponseType.of(rendered.type),
      statusCode: rendered.statusCode,
      responseHeaders: rendered.responseHeaders,
      templates: rendered.templates,
    });
  }
}
