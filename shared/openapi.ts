/**
 * The OpenAPI 3.1 document of the public API, generated from the contract's
 * zod schemas (./contract-schema.ts) and the error catalogue (./errors.ts):
 * both routes, their request parts and headers, the success body, every
 * error code with its status as problem+json, and the `x-api-key` scheme.
 * Written by `npm run openapi`, served by the local gateway at /openapi.json.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_MAX_REQUEST_BYTES,
  SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS,
  SAGEMAKER_INFERENCE_ID_MAX_CHARS,
} from './aws-facts.ts';
import { IMAGE_FIELD, PARTIAL_QUERY_PARAMETER, REQUEST_HEADERS } from './contract.ts';
import {
  codesWithStatus,
  PredictResponseSchema,
  problemSchemaFor,
  RejectedProblemSchema,
} from './contract-schema.ts';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from './errors.ts';
import { ALLOWED_DESCRIPTION } from './image-format.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

/** The security scheme's name in `components.securitySchemes`. */
export const API_KEY_SCHEME = 'apiKey';

/**
 * Codes only the Lambda route gives: the upload's parts and images and what
 * the model answered about them. `/invocations` passes the body to the
 * model unread, so it answers none of them.
 */
const PREDICT_ONLY_CODES: ReadonlySet<ErrorCode> = new Set([
  'MALFORMED_MULTIPART',
  'BINARY_BODY_NOT_ENCODED',
  'NO_IMAGE',
  'IMAGE_NOT_A_FILE',
  'UNEXPECTED_FILE_FIELD',
  'EMPTY_FILE',
  'TOO_MANY_FILES',
  'TOO_MANY_FIELDS',
  'TOO_MANY_PARTS',
  'TOO_MANY_PART_HEADERS',
  'FILE_TOO_LARGE',
  'FIELD_TOO_LARGE',
  'IMAGE_TOO_MANY_PIXELS',
  'UNSUPPORTED_CONTENT_TYPE',
  'UNSUPPORTED_IMAGE_FORMAT',
  'IMAGE_UNDECODABLE',
  'BAD_MODEL_OUTPUT',
]);

/** The error codes a route can answer with (REQUEST_REJECTED, statusless, aside). */
export function routeErrorCodes(route: 'predict' | 'invocations'): ErrorCode[] {
  return ERROR_CODES.filter(
    (code) => code !== 'REQUEST_REJECTED' && (route === 'predict' || !PREDICT_ONLY_CODES.has(code)),
  );
}

export interface OpenApiOptions {
  /** Where the API is served; by default the execute-api URL with variables. */
  readonly servers?: readonly { readonly url: string; readonly description?: string }[];
  /** The stage names, as an enum of the `stage` path parameter. */
  readonly stages?: readonly string[];
}

const PAYLOAD_TOO_LARGE_EXAMPLE = `HTTP content length exceeded ${API_GATEWAY_MAX_REQUEST_BYTES} bytes.`;

const headerDoc = (description: string) => ({ schema: { type: 'string' as const }, description });

const RESPONSE_HEADERS = {
  'X-Request-Id': headerDoc("The request id: X-Request-Id when sent, else API Gateway's."),
};

function errorResponses(codes: readonly ErrorCode[]) {
  const statuses = [...new Set(codes.map((code) => ERROR_CATALOGUE[code].status))].sort();
  const responses: Record<string, object> = {};
  for (const status of statuses) {
    const ofStatus = codesWithStatus(status).filter((code) => codes.includes(code));
    responses[String(status)] = {
      description: ofStatus.map((code) => `\`${code}\`: ${ERROR_CATALOGUE[code].title}`).join('; '),
      headers:
        status === 429 || status === 503
          ? { ...RESPONSE_HEADERS, 'Retry-After': headerDoc('Seconds to wait before retrying.') }
          : RESPONSE_HEADERS,
      content: {
        [PROBLEM_CONTENT_TYPE]: { schema: problemSchemaFor(status, ofStatus) },
        // Over API Gateway's payload limit its answer cannot be restyled.
        ...(status === 413
          ? { 'text/plain': { schema: z.string().meta({ example: PAYLOAD_TOO_LARGE_EXAMPLE }) } }
          : {}),
      },
    };
  }
  responses['4XX'] = {
    description:
      "`REQUEST_REJECTED`: any other refusal by API Gateway (its DEFAULT_4XX response), with API Gateway's status and message.",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: RejectedProblemSchema } },
  };
  return responses;
}

function requestHeaders() {
  return z.object({
    [REQUEST_HEADERS.requestId]: z
      .string()
      .min(1)
      .max(SAGEMAKER_INFERENCE_ID_MAX_CHARS)
      .optional()
      .meta({
        description: `1..${SAGEMAKER_INFERENCE_ID_MAX_CHARS} printable ASCII characters: the SageMaker inference id, echoed back.`,
      }),
    [REQUEST_HEADERS.clientId]: z.string().optional().meta({
      description:
        'A client identifier forwarded to the model in X-Amzn-SageMaker-Custom-Attributes.',
    }),
  });
}

const stageParameter = (stages: readonly string[] | undefined) =>
  z.object({
    stage: (stages !== undefined && stages.length > 0
      ? z.enum(stages as [string, ...string[]])
      : z.string()
    ).meta({ description: 'The API Gateway stage (dev, prod, ...).' }),
  });

/** Builds the document. Deterministic: the same contract gives the same bytes. */
export function buildOpenApiDocument(options: OpenApiOptions = {}) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', API_KEY_SCHEME, {
    type: 'apiKey',
    in: 'header',
    name: REQUEST_HEADERS.apiKey,
    description: "An API key of the stage's usage plan (API Gateway).",
  });
  const security = [{ [API_KEY_SCHEME]: [] }];
  const limits = `API Gateway takes at most ${API_GATEWAY_MAX_REQUEST_BYTES} bytes per request and answers within ${API_GATEWAY_INTEGRATION_TIMEOUT_MS / 1000} s.`;

  registry.registerPath({
    method: 'post',
    path: '/{stage}/predict',
    operationId: 'predict',
    summary: 'Classify uploaded images',
    description: `Each \`${IMAGE_FIELD}\` file part is identified from its bytes (${ALLOWED_DESCRIPTION}), oriented, prepared under the model's input profile and sent to the SageMaker endpoint; other text fields travel to the model as custom attributes (at most ${SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS} characters in all). All or nothing by default: one bad image fails the request. ${limits}`,
    security,
    request: {
      params: stageParameter(options.stages),
      query: z.object({
        [PARTIAL_QUERY_PARAMETER]: z.enum(['true', 'false']).optional().meta({
          description:
            'true: answer 200 whenever the request itself is valid; an image at fault (refused, undecodable, over a limit, or failed by the model: MODEL_ERROR, BAD_MODEL_OUTPUT) gets `error`, its problem, in its result instead of failing the request. The endpoint failing, busy or late still fails the request. Any other value, or none: all or nothing.',
        }),
      }),
      headers: requestHeaders(),
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z
              .object({
                [IMAGE_FIELD]: z
                  .array(z.string().meta({ format: 'binary' }))
                  .min(1)
                  .meta({ description: 'One or more image files (repeat the field).' }),
              })
              .catchall(z.string())
              .meta({ description: 'Text fields: forwarded as custom attributes.' }),
            encoding: { [IMAGE_FIELD]: { contentType: 'image/*, application/octet-stream' } },
          },
        },
      },
    },
    responses: {
      200: {
        description: 'One result per image, in upload order.',
        headers: RESPONSE_HEADERS,
        content: { 'application/json': { schema: PredictResponseSchema } },
      },
      ...errorResponses(routeErrorCodes('predict')),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/{stage}/invocations',
    operationId: 'invocations',
    summary: 'Pass a body straight to the SageMaker endpoint',
    description: `The body and its Content-Type reach SageMaker Runtime InvokeEndpoint unchanged (no Lambda); the model's answer comes back as it is. For model containers that parse uploads themselves. ${limits}`,
    security,
    request: {
      params: stageParameter(options.stages),
      headers: requestHeaders().extend({
        accept: z.string().optional().meta({ description: 'Passed to the model.' }),
      }),
      body: {
        required: true,
        content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } },
      },
    },
    responses: {
      200: {
        description: "The model's answer, with its Content-Type.",
        headers: {
          ...RESPONSE_HEADERS,
          'X-Amzn-Invoked-Production-Variant': headerDoc('The variant that answered.'),
        },
        content: { '*/*': { schema: z.string().meta({ format: 'binary' }) } },
      },
      ...errorResponses(routeErrorCodes('invocations')),
    },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'image-inference-gateway',
      version: '1',
      description:
        'Multipart image uploads in front of an Amazon SageMaker endpoint. Every error is `application/problem+json` (RFC 9457) with a stable `code`; the error responses list each code with its status.',
    },
    servers: [
      ...(options.servers ?? [
        {
          url: 'https://{restApiId}.execute-api.{region}.amazonaws.com',
          description: 'The deployed REST API',
          variables: {
            restApiId: { default: 'abc123defg' },
            region: { default: 'us-east-1' },
          },
        },
      ]),
    ],
  });
}

/** The document's type, for the local gateway and the contract test. */
export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
