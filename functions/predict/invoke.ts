import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandOutput,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from '#shared/aws-facts.ts';
import { GatewayError } from '#shared/errors.ts';
import {
  answerForSageMakerError,
  CLIENT_FAILURES,
  type FailureAnswer,
  modelErrorDetail,
  timeoutDetail,
  UNREACHABLE_ERROR_CODES,
} from '#shared/invoke-failures.ts';
import { traceClient } from './observability.ts';
import type { Payload } from './payload.ts';

/** The part of SageMakerRuntimeClient the gateway uses (a seam for the benchmark). */
export interface RuntimeClient {
  send(
    command: InvokeEndpointCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<InvokeEndpointCommandOutput>;
}

/** Where the client sends InvokeEndpoint calls, when not where the AWS environment says. */
interface RuntimeClientOptions {
  /**
   * Base URL of a SageMaker Runtime API, e.g. the local model server.
   * @default - the standard AWS resolution: AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME,
   * AWS_ENDPOINT_URL, else `https://runtime.sagemaker.{region}.amazonaws.com`
   */
  readonly endpoint?: string;
  /** @default - AWS_REGION and the rest of the AWS region chain */
  readonly region?: string;
  /** @default - the AWS credential chain (the Lambda's role when deployed) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The container's one client. Retries are the gateway's own (bounded, only
 * for throttling and 503, inside the deadline), so the SDK makes one attempt.
 * Deployed, everything comes from the Lambda's AWS environment; the local
 * stack and tests pass the local endpoint, a region and dummy credentials.
 */
export function createRuntimeClient(options: RuntimeClientOptions = {}): SageMakerRuntimeClient {
  const client = new SageMakerRuntimeClient({
    maxAttempts: 1,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
  return traceClient(client);
}

/** When the invocation phase must be over, and the signal that enforces it. */
interface Deadline {
  readonly atEpochMs: number;
  readonly budgetMs: number;
  readonly signal: AbortSignal;
}

/**
 * A deadline `marginMs` before the earlier of the Lambda's own timeout and
 * API Gateway's, so a slow model yields our 504 and logs rather than a
 * killed function or API Gateway's bare timeout.
 */
export function deadlineFrom(remainingMs: number, marginMs: number): Deadline {
  const budgetMs = Math.max(
    1,
    Math.min(remainingMs, API_GATEWAY_INTEGRATION_TIMEOUT_MS) - marginMs,
  );
  return { atEpochMs: Date.now() + budgetMs, budgetMs, signal: AbortSignal.timeout(budgetMs) };
}

export interface Invocation {
  readonly endpointName: string;
  readonly targetVariant: string | undefined;
  readonly payload: Payload;
  readonly customAttributes: string | undefined;
  readonly inferenceId: string;
}

interface InvocationResult {
  readonly body: Uint8Array;
  readonly contentType: string | undefined;
  readonly variant: string | undefined;
}

interface RetryPolicy {
  readonly maxAttempts: number;
  readonly retryAfterSeconds: number;
  /** First backoff; doubles per attempt. */
  readonly baseDelayMs?: number;
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ModelNotReadyException',
  'ServiceUnavailable',
]);

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isRetryable(error: unknown): boolean {
  const status = httpStatus(error);
  return (
    RETRYABLE_NAMES.has((error as Error | null)?.name ?? '') || status === 429 || status === 503
  );
}

/**
 * Invokes the endpoint once per attempt, retrying throttling and 503 with
 * exponential backoff while the deadline allows. `cancel` aborts it when a
 * sibling invocation of the same request has failed.
 */
export async function invokeEndpoint(
  client: RuntimeClient,
  invocation: Invocation,
  deadline: Deadline,
  policy: RetryPolicy,
  cancel?: AbortSignal,
): Promise<InvocationResult> {
  const signal =
    cancel === undefined ? deadline.signal : AbortSignal.any([deadline.signal, cancel]);
  const command = new InvokeEndpointCommand({
    EndpointName: invocation.endpointName,
    Body: invocation.payload.body,
    ContentType: invocation.payload.contentType,
    Accept: invocation.payload.accept ?? 'application/json',
    CustomAttributes: invocation.customAttributes,
    InferenceId: invocation.inferenceId,
    TargetVariant: invocation.targetVariant,
  });
  const baseDelayMs = policy.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await client.send(command, { abortSignal: signal });
      return {
        body: output.Body ?? new Uint8Array(),
        contentType: output.ContentType,
        variant: output.InvokedProductionVariant,
      };
    } catch (error) {
      if (deadline.signal.aborted) throw timeoutError(deadline, error);
      if (cancel?.aborted) throw error;
      const mapped = mapInvokeError(error, policy.retryAfterSeconds);
      const delayMs = baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      if (
        !isRetryable(error) ||
        attempt >= policy.maxAttempts ||
        Date.now() + delayMs >= deadline.atEpochMs
      ) {
        throw mapped;
      }
      try {
        await sleep(delayMs, signal);
      } catch {
        if (deadline.signal.aborted) throw timeoutError(deadline, error);
        throw mapped;
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function timeoutError(deadline: Deadline, cause: unknown): GatewayError {
  return new GatewayError('ENDPOINT_TIMEOUT', timeoutDetail(deadline.budgetMs), { cause });
}

/** The table's answer to what `client.send` threw. */
function answerFor(error: unknown): FailureAnswer {
  const answer = answerForSageMakerError((error as Error | null)?.name, httpStatus(error));
  if (answer !== undefined) return answer;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    return UNREACHABLE_ERROR_CODES.has(code)
      ? CLIENT_FAILURES.unreachable
      : CLIENT_FAILURES.network;
  }
  return CLIENT_FAILURES.unexpected;
}

/**
 * Maps SageMaker Runtime errors to the catalogue through the one failure
 * table (shared/invoke-failures.ts): by exception name (SageMaker's error
 * type), then HTTP status, then system error code; never by message text.
 * Details stay in `cause` for the logs; only a ModelError's 4xx message,
 * the container speaking to the client, reaches the detail.
 */
export function mapInvokeError(error: unknown, retryAfterSeconds: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const answer = answerFor(error);
  const detail =
    answer.code === 'MODEL_ERROR'
      ? modelErrorDetail(
          (error as { OriginalStatusCode?: number }).OriginalStatusCode,
          (error as { OriginalMessage?: string }).OriginalMessage,
        )
      : answer.detail({ retryAfterSeconds });
  return new GatewayError(answer.code, detail, {
    cause: error,
    ...(answer.retryAfter ? { retryAfterSeconds } : {}),
  });
}
