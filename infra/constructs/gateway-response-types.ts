/**
 * Every gateway response type API Gateway documents for REST APIs, with the
 * status it answers with unless a gateway response sets another. `null`: the
 * two fallbacks, which keep the status of the response they stand in for.
 * Source: API Gateway developer guide, "Gateway response types for API
 * Gateway"; the values of `AWS::ApiGateway::GatewayResponse.ResponseType`.
 */
export const AWS_GATEWAY_RESPONSE_STATUS = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  DEFAULT_4XX: null,
  DEFAULT_5XX: null,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
} as const satisfies Record<string, number | null>;

/** A gateway response type (`ResponseType`). */
export type GatewayResponseType = keyof typeof AWS_GATEWAY_RESPONSE_STATUS;
