/**
 * Gateway responses: how API Gateway answers the errors it makes itself,
 * with its own default status and message, restyled by the stack's
 * `AWS::ApiGateway::GatewayResponse` for that type (or for DEFAULT_4XX /
 * DEFAULT_5XX when the type has none).
 */
import {
  API_GATEWAY_MAX_REQUEST_BYTES,
  AWS_GATEWAY_RESPONSE_STATUS as STATUS,
} from '#shared/aws-facts.ts';
import type { GatewayResponse } from './api-model.ts';
import { type HeaderLookup, type MappingContext, mapParameter, renderTemplate } from './mapping.ts';
import type { Fault, GatewayResponseType, Reply } from './reply.ts';

/**
 * API Gateway's own default status (shared/aws-facts.ts; DEFAULT_5XX is
 * AWS's 502 for a Lambda that failed) and message for each error it makes,
 * and the exception name it sends in `x-amzn-ErrorType` (undefined: no
 * captured response shows one, so none is sent). Sources: API Gateway
 * developer guide, "Gateway response types for API Gateway" (statuses);
 * the messages and exception names as deployed APIs answer them (observed).
 */
export const GATEWAY_RESPONSE_DEFAULTS = {
  MISSING_AUTHENTICATION_TOKEN: {
    status: STATUS.MISSING_AUTHENTICATION_TOKEN,
    message: 'Missing Authentication Token',
    errorType: 'MissingAuthenticationTokenException',
  },
  INVALID_API_KEY: {
    status: STATUS.INVALID_API_KEY,
    message: 'Forbidden',
    errorType: 'ForbiddenException',
  },
  THROTTLED: {
    status: STATUS.THROTTLED,
    message: 'Too Many Requests',
    errorType: 'TooManyRequestsException',
  },
  QUOTA_EXCEEDED: {
    status: STATUS.QUOTA_EXCEEDED,
    message: 'Limit Exceeded',
    errorType: 'LimitExceededException',
  },
  INTEGRATION_TIMEOUT: {
    status: STATUS.INTEGRATION_TIMEOUT,
    message: 'Endpoint request timed out',
    errorType: 'InternalServerErrorException',
  },
  INTEGRATION_FAILURE: {
    status: STATUS.INTEGRATION_FAILURE,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  },
  BAD_REQUEST_PARAMETERS: {
    status: STATUS.BAD_REQUEST_PARAMETERS,
    message: 'Missing required request parameters',
    errorType: 'BadRequestException',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: STATUS.UNSUPPORTED_MEDIA_TYPE,
    message: 'Unsupported Media Type',
    errorType: 'BadRequestException',
  },
  REQUEST_TOO_LARGE: {
    status: STATUS.REQUEST_TOO_LARGE,
    message: 'Request Too Long',
    errorType: undefined,
  },
  // "Execution failed due to configuration error", e.g. "Invalid permissions
  // on Lambda function". Source: AWS Knowledge Center, "How do I resolve
  // 'Invalid permissions on Lambda function' errors from API Gateway REST APIs?"
  API_CONFIGURATION_ERROR: {
    status: STATUS.API_CONFIGURATION_ERROR,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  },
  // A Lambda authorizer's answers (authorizers.ts).
  UNAUTHORIZED: {
    status: STATUS.UNAUTHORIZED,
    message: 'Unauthorized',
    errorType: 'UnauthorizedException',
  },
  ACCESS_DENIED: {
    status: STATUS.ACCESS_DENIED,
    message: 'User is not authorized to access this resource',
    errorType: 'AccessDeniedException',
  },
  AUTHORIZER_CONFIGURATION_ERROR: {
    status: STATUS.AUTHORIZER_CONFIGURATION_ERROR,
    message: 'Internal server error',
    errorType: 'AuthorizerConfigurationException',
  },
  DEFAULT_5XX: {
    status: 502,
    message: 'Internal server error',
    errorType: 'InternalServerErrorException',
  },
} as const satisfies Record<
  GatewayResponseType,
  { status: number; message: string; errorType: string | undefined }
>;

const HEADER_PREFIX = 'gatewayresponse.header.';
const JSON_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Type', 'application/json'],
];

/**
 * The response API Gateway sends for `fault`: the gateway response the
 * template defines for its type (else for DEFAULT_4XX or DEFAULT_5XX by its
 * default status), its header mappings and `application/json` template
 * evaluated with `$context.error.*` set; without one, AWS's default
 * `{"message": ...}`. The reply carries the type as `x-amzn-ErrorType`.
 */
export function gatewayReply(
  responses: ReadonlyMap<string, GatewayResponse>,
  fault: Fault,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): Reply {
  const type = fault.fault;
  const defaults = GATEWAY_RESPONSE_DEFAULTS[type];
  const response =
    responses.get(type) ?? responses.get(defaults.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
  return restyle(response, {
    status: defaults.status,
    message: fault.message ?? defaults.message,
    type,
    mapping,
    requestHeader,
  });
}

/**
 * The answer to a client error API Gateway has no response type for, which
 * only the local server meets (HTTP its parser refuses, a client too slow to
 * send its request): the stack's DEFAULT_4XX gateway response with
 * `status`, as for any 4xx type the stack does not restyle on its own, and
 * `message` as `$context.error.message`. Without one, AWS's default body.
 */
export function fallback4xxReply(
  responses: ReadonlyMap<string, GatewayResponse>,
  status: number,
  message: string,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): Reply {
  return restyle(responses.get('DEFAULT_4XX'), {
    status,
    message,
    type: undefined,
    mapping,
    requestHeader,
  });
}

interface Restyling {
  /** API Gateway's own status, kept when the gateway response sets none. */
  readonly status: number;
  readonly message: string;
  /** `$context.error.responseType`; undefined for an error with no type. */
  readonly type: GatewayResponseType | undefined;
  readonly mapping: MappingContext;
  readonly requestHeader: HeaderLookup;
}

/** A gateway response's header mappings and `application/json` template, evaluated. */
function restyle(response: GatewayResponse | undefined, error: Restyling): Reply {
  const { status, message, type } = error;
  const errorType = type === undefined ? {} : { errorType: type };
  if (response === undefined) {
    return {
      status,
      headers: JSON_HEADERS,
      body: Buffer.from(JSON.stringify({ message })),
      ...errorType,
    };
  }
  const context: MappingContext = {
    ...error.mapping,
    errorMessage: message,
    errorResponseType: type ?? response.type,
  };
  const headers: Array<[string, string]> = [];
  for (const [key, expression] of Object.entries(response.responseParameters)) {
    if (!key.startsWith(HEADER_PREFIX)) continue;
    const value = mapParameter(expression, context, error.requestHeader);
    if (value !== undefined) headers.push([key.slice(HEADER_PREFIX.length), value]);
  }
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type'))
    headers.push(['Content-Type', 'application/json']);
  const template = response.responseTemplates['application/json'];
  const body =
    template === undefined ? JSON.stringify({ message }) : renderTemplate(template, context);
  return {
    status: response.statusCode ?? status,
    headers,
    body: Buffer.from(body),
    ...errorType,
  };
}

/**
 * Observed: API Gateway answers a request over its payload limit itself, in
 * plain text, before any gateway response applies.
 */
export function payloadTooLargeReply(): Reply {
  return {
    status: 413,
    headers: [['Content-Type', 'text/plain']],
    body: Buffer.from(`HTTP content length exceeded ${API_GATEWAY_MAX_REQUEST_BYTES} bytes.`),
    errorType: 'REQUEST_TOO_LARGE',
  };
}
