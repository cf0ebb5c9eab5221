import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { GatewayResponseType } from '#shared/aws-facts.ts';
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
  readonly type: GatewayResponseType;
  readonly code: ErrorCode;
  /** A fixed sentence, or GATEWAY_MESSAGE to pass on API Gateway's own. */
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  /**
   * Leave the status to API Gateway (no `statusCode`) and the body without
   * `status`: for a fallback, whose original status no template can know.
   * @default false - the code's status, in the status line and in the body
   */
  readonly keepStatus?: boolean;
}

/**
 * Every gateway response type API Gateway documents, restyled: the
 * compiler checks that none is missing. Each type answers its code's
 * status, in the status line and the body; each 4xx type has a code of
 * its own with API Gateway's status, so clients can act on it. The
 * authorizer's 500s answer INTERNAL_ERROR, as API_CONFIGURATION_ERROR
 * does: a 5xx names no internals (the request id finds them in the logs).
 *
 * DEFAULT_4XX then only sees types AWS adds later. It sets no status, so
 * those keep theirs (a fallback's status replaces that of every type it
 * stands in for: "Gateway response types for API Gateway"). Its body
 * cannot say which status that is: a gateway response template is plain
 * variable substitution, not VTL ("x-amazon-apigateway-gateway-responses.
 * responseTemplates object"), and `$context.status` is listed under
 * "Variables for access logging for API Gateway" only, not under
 * "Variables for data transformations". So the body leaves `status` out
 * (RFC 9457 section 3.1.4: it is advisory) rather than claim one; its
 * detail is API Gateway's own message.
 *
 * DEFAULT_5XX stays at 502: what reaches it is AWS's own 502 for a Lambda
 * that failed, outlived its timeout or returned an invalid result
 * (malformed, over LAMBDA_MAX_RESPONSE_BYTES). INTEGRATION_FAILURE (504 by
 * default) answers 502 too: the backend could not be invoked, which
 * clients see as the same failure.
 */
const SPECS = {
  DEFAULT_4XX: { code: 'REQUEST_REJECTED', detail: GATEWAY_MESSAGE, keepStatus: true },
  DEFAULT_5XX: {
    code: 'INTEGRATION_FAILURE',
    detail:
      'API Gateway got no valid answer from its backend (it failed or returned an invalid result); the request id identifies the request in the logs.',
  },
  INVALID_API_KEY: {
    code: 'INVALID_API_KEY',
    detail:
      "Send an API key of this stage in the x-api-key header; the key is missing, unknown, disabled, or not in this stage's usage plan.",
  },
  MISSING_AUTHENTICATION_TOKEN: {
    code: 'MISSING_AUTHENTICATION_TOKEN',
    detail:
      'No route matches this method and path; the API serves POST /{stage}/predict and POST /{stage}/invocations.',
  },
  THROTTLED: {
    code: 'THROTTLED',
    detail: "Too many requests for this stage or this API key's rate limit; retry later.",
    retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS,
  },
  QUOTA_EXCEEDED: {
    code: 'QUOTA_EXCEEDED',
    detail: "This API key has used its usage plan's request quota for the current period.",
  },
  INTEGRATION_TIMEOUT: {
    code: 'ENDPOINT_TIMEOUT',
    detail: `No answer within API Gateway's integration timeout (${API_GATEWAY_INTEGRATION_TIMEOUT_MS / 1000} s).`,
  },
  INTEGRATION_FAILURE: {
    code: 'INTEGRATION_FAILURE',
    detail:
      'API Gateway could not invoke its backend; the request id identifies the request in the logs.',
  },
  API_CONFIGURATION_ERROR: {
    code: 'INTERNAL_ERROR',
    detail: 'The API is misconfigured; the request id identifies the request in the logs.',
  },
  BAD_REQUEST_PARAMETERS: {
    code: 'BAD_REQUEST_PARAMETERS',
    detail: 'The Content-Type header is required (multipart/form-data for /predict).',
  },
  BAD_REQUEST_BODY: {
    code: 'BAD_REQUEST_BODY',
    detail: "The request body does not match the method's request model.",
  },
  // Observed: API Gateway answers its own limit (API_GATEWAY_MAX_REQUEST_BYTES)
  // before gateway responses apply, with a plain-text 413; this response
  // restyles the 413s that do go through it.
  REQUEST_TOO_LARGE: {
    code: 'REQUEST_TOO_LARGE',
    detail: `The request is larger than API Gateway accepts (${API_GATEWAY_MAX_REQUEST_BYTES} bytes) or than a Lambda event can carry (${LAMBDA_MAX_EVENT_BYTES} bytes, about 4.4 MB of file once base64-encoded).`,
  },
  // ACCESS_DENIED, UNAUTHORIZED and the AUTHORIZER_* types fire with the JWT
  // authorizer (-c authorizer=jwt). The others cannot fire on this API as
  // built (no IAM auth, no web ACL, no strict passthrough); each has its
  // entry so that adding one of those keeps its status and the problem+json shape.
  ACCESS_DENIED: {
    code: 'ACCESS_DENIED',
    detail: "The API's authorizer or resource policy denied this request.",
  },
  AUTHORIZER_CONFIGURATION_ERROR: {
    code: 'INTERNAL_ERROR',
    detail:
      "API Gateway could not reach the API's authorizer; the request id identifies the request in the logs.",
  },
  AUTHORIZER_FAILURE: {
    code: 'INTERNAL_ERROR',
    detail:
      "The API's authorizer failed while authenticating the caller; the request id identifies the request in the logs.",
  },
  EXPIRED_TOKEN: {
    code: 'EXPIRED_TOKEN',
    detail: "The request's AWS credentials or signature have expired; sign it again.",
  },
  INVALID_SIGNATURE: {
    code: 'INVALID_SIGNATURE',
    detail: "The request's AWS signature (Signature Version 4) does not match the request.",
  },
  RESOURCE_NOT_FOUND: {
    code: 'RESOURCE_NOT_FOUND',
    detail: 'API Gateway found no resource for this request once it was authorized.',
  },
  UNAUTHORIZED: {
    code: 'UNAUTHORIZED',
    detail: "The API's authorizer could not authenticate the caller; send valid credentials.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'API Gateway does not pass a body of this Content-Type on to the backend.',
  },
  // AWS WAF's own custom responses, where a web ACL defines one, take
  // precedence over this one ("Gateway response types for API Gateway").
  WAF_FILTERED: {
    code: 'WAF_FILTERED',
    detail: 'AWS WAF blocked this request (a rule of the web ACL on this stage).',
  },
} as const satisfies Record<GatewayResponseType, Omit<GatewayResponseSpec, 'type'>>;

/** Every gateway response the API defines (SPECS above), one per type. */
export const GATEWAY_RESPONSES: readonly GatewayResponseSpec[] = Object.entries(SPECS).map(
  ([type, spec]) => ({ type: type as GatewayResponseType, ...spec }),
);

/** The parts of a gateway response the API adds, in CDK's terms. */
export interface RenderedGatewayResponse {
  readonly type: GatewayResponseType;
  /** Undefined: API Gateway's own status for the type (`keepStatus`). */
  readonly statusCode: string | undefined;
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
    statusCode: spec.keepStatus === true ? undefined : String(ERROR_CATALOGUE[spec.code].status),
    responseHeaders: headers,
    templates: {
      'application/json': problemTemplate(spec.code, spec.detail, {
        withStatus: spec.keepStatus !== true,
      }),
    },
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
