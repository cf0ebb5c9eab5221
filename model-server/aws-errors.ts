/**
 * SageMaker Runtime's error answers, shaped as AWS sends them (restJson1:
 * the type in `x-amzn-errortype`, fields in a JSON body) so the real
 * SageMakerRuntimeClient raises the matching exception class. Messages
 * follow those AWS returns, as users have reported them; each is built in
 * one place here so it is easy to correct.
 */
import { randomUUID } from 'node:crypto';
import {
  SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS,
  SAGEMAKER_INFERENCE_ID_MAX_CHARS,
  SAGEMAKER_MAX_BODY_BYTES,
} from '#shared/aws-facts.ts';
import { jsonReply, type Reply } from './http.ts';

/**
 * Error types of InvokeEndpoint and their HTTP statuses. Source: SageMaker
 * API reference, InvokeEndpoint (Errors).
 */
export const RUNTIME_ERRORS = {
  ValidationError: 400,
  ModelError: 424,
  ModelNotReadyException: 429,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  InternalDependencyException: 530,
  // Not in the InvokeEndpoint model: AWS's generic throttling error, which
  // clients meet as a plain service exception of that name.
  ThrottlingException: 400,
} as const satisfies Record<string, number>;

export type RuntimeErrorName = keyof typeof RUNTIME_ERRORS;
export const RUNTIME_ERROR_NAMES = Object.keys(RUNTIME_ERRORS) as RuntimeErrorName[];

const SAGEMAKER_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.sagemaker/';
const CORAL_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.coral.service/';

/** The account local endpoints belong to (an obviously fake one). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** The container name SageMaker uses in messages for a single-container model. */
const CONTAINER_NAME = 'primary';

/** Where one invocation happened, for messages that name region, account and endpoint. */
export interface InvocationScope {
  readonly region: string;
  readonly account: string;
  readonly endpointName: string;
}

function requestIdHeader(): Record<string, string> {
  return { 'x-amzn-RequestId': randomUUID() };
}

export function runtimeError(
  type: RuntimeErrorName,
  message: string,
  fields: Readonly<Record<string, unknown>> = {},
): Reply {
  return jsonReply(
    RUNTIME_ERRORS[type],
    { message, ...fields },
    { 'x-amzn-errortype': `${type}:${SAGEMAKER_NAMESPACE}`, ...requestIdHeader() },
  );
}

/** A request with no Authorization header, refused before any routing (Coral's answer). */
export function missingAuthenticationToken(): Reply {
  return jsonReply(
    403,
    { message: 'Missing Authentication Token' },
    {
      'x-amzn-errortype': `MissingAuthenticationTokenException:${CORAL_NAMESPACE}`,
      ...requestIdHeader(),
    },
  );
}

/**
 * A body over the limit. AWS answers 413 with this text and no error type
 * (observed in 2018 as "HTTP content length exceeded 5246976 bytes." when
 * the limit was 5 MB), so SDKs raise a generic exception named "413".
 */
export function contentLengthExceeded(limitBytes: number = SAGEMAKER_MAX_BODY_BYTES): Reply {
  return jsonReply(
    413,
    { message: `HTTP content length exceeded ${limitBytes} bytes.` },
    requestIdHeader(),
  );
}

/**
 * InvokeEndpoint's constraints on the headers a gateway passes on (SageMaker
 * API reference, InvokeEndpoint): `InferenceId` 1 to 64 characters matching
 * `\A\S[\p{Print}]*\z` (Java: `\p{Print}` is printable ASCII, `\S` anything
 * but ASCII white space), `CustomAttributes` at most 1024 matching
 * `\p{ASCII}*`. Each broken one is a line of a ValidationError.
 */
export function requestViolations(
  inferenceId: string | undefined,
  customAttributes: string | undefined,
): string[] {
  const violations: string[] = [];
  const constraint = (member: string, value: string | undefined, rule: string) =>
    `Value ${value === undefined ? '' : `'${value}' `}at '${member}' failed to satisfy constraint: Member must ${rule}`;
  if (inferenceId !== undefined) {
    if (inferenceId.length === 0) {
      violations.push(
        constraint('inferenceId', inferenceId, 'have length greater than or equal to 1'),
      );
    } else if (inferenceId.length > SAGEMAKER_INFERENCE_ID_MAX_CHARS) {
      violations.push(
        constraint(
          'inferenceId',
          inferenceId,
          `have length less than or equal to ${SAGEMAKER_INFERENCE_ID_MAX_CHARS}`,
        ),
      );
    } else if (!/^[^ \t\n\v\f\r][\x20-\x7e]*$/.test(inferenceId)) {
      violations.push(
        constraint(
          'inferenceId',
          inferenceId,
          String.raw`satisfy regular expression pattern: \A\S[\p{Print}]*\z`,
        ),
      );
    }
  }
  // A sensitive member: AWS does not quote its value.
  if (customAttributes !== undefined) {
    if (customAttributes.length > SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS) {
      violations.push(
        constraint(
          'customAttributes',
          undefined,
          `have length less than or equal to ${SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS}`,
        ),
      );
    } else if (!/^\p{ASCII}*$/u.test(customAttributes)) {
      violations.push(
        constraint(
          'customAttributes',
          undefined,
          String.raw`satisfy regular expression pattern: \p{ASCII}*`,
        ),
      );
    }
  }
  return violations;
}

/**
 * The request broke InvokeEndpoint's constraints: refused before anything
 * else, in the format of AWS's constraint errors ("1 validation error
 * detected: Value at 'body' failed to satisfy constraint: ...", as users
 * report them from InvokeEndpointAsync).
 */
export function constraintsViolated(violations: readonly string[]): Reply {
  const count = `${violations.length} validation error${violations.length === 1 ? '' : 's'}`;
  return runtimeError('ValidationError', `${count} detected: ${violations.join('; ')}`);
}

export function endpointNotFound(scope: InvocationScope): Reply {
  return runtimeError(
    'ValidationError',
    `Endpoint ${scope.endpointName} of account ${scope.account} not found.`,
  );
}

export function targetModelNotSupported(scope: InvocationScope): Reply {
  return runtimeError(
    'ValidationError',
    `Endpoint ${scope.endpointName} is not a multi-model endpoint and does not support target model header.`,
  );
}

/** Wording not confirmed against AWS (no report found); the type and status are. */
export function unknownVariant(scope: InvocationScope, variant: string): Reply {
  return runtimeError(
    'ValidationError',
    `Variant ${variant} does not exist for endpoint ${scope.endpointName} of account ${scope.account}.`,
  );
}

/** Wording from the API reference's description of the exception. */
export function modelNotReady(scope: InvocationScope): Reply {
  return runtimeError(
    'ModelNotReadyException',
    `Model for endpoint ${scope.endpointName} is not ready yet. Wait and try your request again.`,
  );
}

function logGroup(scope: InvocationScope): string {
  return `/aws/sagemaker/Endpoints/${scope.endpointName}`;
}

function modelError(scope: InvocationScope, originalStatus: number, originalMessage: string) {
  const kind = originalStatus >= 400 && originalStatus < 500 ? 'client' : 'server';
  const logsUrl = `https://${scope.region}.console.aws.amazon.com/cloudwatch/home?region=${scope.region}#logEventViewer:group=${logGroup(scope)}`;
  return runtimeError(
    'ModelError',
    `Received ${kind} error (${originalStatus}) from ${CONTAINER_NAME} with message "${originalMessage}". See ${logsUrl} in account ${scope.account} for more information.`,
    {
      OriginalStatusCode: originalStatus,
      OriginalMessage: originalMessage,
      LogStreamArn: `arn:aws:logs:${scope.region}:${scope.account}:log-group:${logGroup(scope)}`,
    },
  );
}

/** The container answered a non-2xx status: SageMaker relays it as ModelError (424). */
export function containerFailed(scope: InvocationScope, status: number, body: string): Reply {
  return modelError(scope, status, body);
}

/** The container did not answer within the invocation timeout. */
export function containerTimedOut(scope: InvocationScope): Reply {
  return modelError(
    scope,
    0,
    `Your invocation timed out while waiting for a response from container ${CONTAINER_NAME}. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.`,
  );
}

/** The container dropped the connection (crashed) without answering. */
export function containerUnreachable(scope: InvocationScope): Reply {
  return modelError(
    scope,
    0,
    `Amazon SageMaker could not get a response from the ${scope.endpointName} endpoint. This can occur when CPU or memory utilization is high. To check your utilization, see Amazon CloudWatch. To fix this problem, use an instance type with more CPU capacity or memory.`,
  );
}
