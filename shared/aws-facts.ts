/**
 * The limits and naming rules of the AWS services this project deploys to,
 * defined once. The Lambda, the model server, the CDK app and the local
 * emulation all import them; messages interpolate these constants rather
 * than restating a number. Each carries its source. Facts marked
 * *observed* come from users' reports rather than AWS documentation.
 */

const MiB = 1024 * 1024;

// --- API Gateway (REST API) -------------------------------------------------

/**
 * The largest request payload a REST API accepts: 10 MB, not adjustable.
 * Source: API Gateway developer guide, "Amazon API Gateway quotas" (REST
 * APIs: payload size).
 */
export const API_GATEWAY_MAX_REQUEST_BYTES = 10 * MiB;

/**
 * The default (and, for edge-optimised and private APIs, the largest)
 * integration timeout: 29 s. Source: API Gateway developer guide, "Amazon API
 * Gateway quotas" (integration timeout 50 ms - 29 s).
 */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * API key values API Gateway accepts: 20 to 128 characters. Source: API
 * Gateway API reference, CreateApiKey `value`.
 */
export const API_KEY_MIN_CHARS = 20;
export const API_KEY_MAX_CHARS = 128;

/** A value API Gateway accepts as an API key: 20..128 printable ASCII characters. */
export function isApiKeyValue(value: string): boolean {
  return (
    value.length >= API_KEY_MIN_CHARS &&
    value.length <= API_KEY_MAX_CHARS &&
    /^[\x21-\x7e]+$/.test(value)
  );
}

/**
 * Stage names: 1 to 128 of letters, digits, hyphens and underscores. Source:
 * API Gateway API reference, CreateStage `stageName`.
 */
export const API_GATEWAY_STAGE_NAME_MAX_CHARS = 128;
export const API_GATEWAY_STAGE_NAME = new RegExp(
  `^[A-Za-z0-9_-]{1,${API_GATEWAY_STAGE_NAME_MAX_CHARS}}$`,
);

/** "1-128 of A-Z a-z 0-9 _ -": the stage name rule, for messages. */
export const STAGE_NAME_RULE = `1-${API_GATEWAY_STAGE_NAME_MAX_CHARS} of A-Z a-z 0-9 _ -`;

/**
 * The account-level throttle per Region (default quota): 10,000 requests per
 * second with a burst of 5,000; stage and usage-plan limits cannot usefully
 * exceed it. Source: API Gateway developer guide, "Amazon API Gateway quotas".
 */
export const API_GATEWAY_ACCOUNT_RATE_LIMIT_RPS = 10_000;
export const API_GATEWAY_ACCOUNT_BURST_LIMIT = 5_000;

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

// --- Lambda -------------------------------------------------------------------

/**
 * Function memory: 128 MB to 10,240 MB. Source: Lambda developer guide,
 * "Lambda quotas" (function memory allocation).
 */
export const LAMBDA_MIN_MEMORY_MB = 128;
export const LAMBDA_MAX_MEMORY_MB = 10_240;

/**
 * What a function gets when its template sets none: 128 MB of memory and a
 * 3 s timeout. Source: CloudFormation user guide, `AWS::Lambda::Function`
 * `MemorySize` and `Timeout`.
 */
export const LAMBDA_DEFAULT_MEMORY_MB = 128;
export const LAMBDA_DEFAULT_TIMEOUT_S = 3;

/**
 * A synchronous invocation's request event (the proxy event, body
 * base64-encoded inside it) and its response are each at most 6 MB. Source:
 * Lambda developer guide, "Lambda quotas" (invocation payload, synchronous).
 */
export const LAMBDA_MAX_EVENT_BYTES = 6 * MiB;
export const LAMBDA_MAX_RESPONSE_BYTES = 6 * MiB;

// --- SageMaker Runtime InvokeEndpoint ------------------------------------------

/**
 * InvokeEndpoint's request body limit: 6 MB (6,291,456 bytes in the current
 * API model; older models said 5 MB). Source: SageMaker API reference,
 * InvokeEndpoint `Body`.
 */
export const SAGEMAKER_MAX_BODY_BYTES = 6 * MiB;

/**
 * Serverless endpoints take at most 4 MB per request and response. Source:
 * SageMaker developer guide, "Serverless Inference" (feature exclusions).
 */
export const SAGEMAKER_SERVERLESS_MAX_BODY_BYTES = 4 * MiB;

/**
 * Serverless endpoints: memory sizes (1024 to 6144 MB in steps of 1024) and
 * at most 200 concurrent invocations per endpoint. Source: SageMaker API
 * reference, ProductionVariantServerlessConfig.
 */
export const SAGEMAKER_SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;
export const SAGEMAKER_SERVERLESS_MAX_CONCURRENCY = 200;

/**
 * `X-Amzn-SageMaker-Custom-Attributes`: at most 1024 visible US-ASCII
 * characters. Source: SageMaker API reference, InvokeEndpoint `CustomAttributes`.
 */
export const SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS = 1024;

/**
 * InvokeEndpoint's `Accept` (the media type the caller wants back): at most
 * 1024 ASCII characters. Source: SageMaker API reference, InvokeEndpoint `Accept`.
 */
export const SAGEMAKER_ACCEPT_MAX_CHARS = 1024;

/**
 * `X-Amzn-SageMaker-Inference-Id`: 1 to 64 characters, pattern
 * `\A\S[\p{Print}]*\z`. Source: SageMaker API reference, InvokeEndpoint `InferenceId`.
 */
export const SAGEMAKER_INFERENCE_ID_MAX_CHARS = 64;

/**
 * How long SageMaker waits for a container's `/invocations` answer: 60 s.
 * Source: SageMaker developer guide, "Use your own inference code with
 * hosting services" (container response within 60 seconds).
 */
export const SAGEMAKER_CONTAINER_TIMEOUT_MS = 60_000;

/**
 * Printable ASCII, no leading space: the InferenceId pattern restricted to
 * ASCII, as a regular expression source without anchors that means the same
 * in JavaScript and Java (API Gateway mapping templates match with it).
 */
export const INFERENCE_ID_PATTERN = `[\\x21-\\x7e][\\x20-\\x7e]{0,${SAGEMAKER_INFERENCE_ID_MAX_CHARS - 1}}`;

const INFERENCE_ID = new RegExp(`^${INFERENCE_ID_PATTERN}$`);

/** True when `value` is a valid SageMaker InferenceId (as this gateway sends them: ASCII). */
export function isInferenceId(value: string): boolean {
  return INFERENCE_ID.test(value);
}

/**
 * Endpoint and production variant names: 1 to 63 characters, pattern
 * `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`. Source: SageMaker API reference,
 * CreateEndpoint `EndpointName`, ProductionVariant `VariantName`.
 */
export const SAGEMAKER_NAME_MAX_CHARS = 63;
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/** True when `name` is a valid SageMaker endpoint (or variant) name. */
export function isEndpointName(name: string): boolean {
  return name.length <= SAGEMAKER_NAME_MAX_CHARS && SAGEMAKER_NAME.test(name);
}

/** "1-63 of a-z A-Z 0-9 -": the endpoint name rule, for messages. */
export const ENDPOINT_NAME_RULE = `1-${SAGEMAKER_NAME_MAX_CHARS} of a-z A-Z 0-9 -`;
