/**
 * The local SageMaker Runtime API: `POST /endpoints/{EndpointName}/invocations`
 * answered the way SageMaker answers it, in front of the in-process
 * container, so the real SageMakerRuntimeClient (pointed here with
 * AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) sees AWS's successes and errors.
 * Signatures are not verified, but an unsigned request is refused.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  constraintsViolated,
  containerFailed,
  containerTimedOut,
  containerUnreachable,
  endpointNotFound,
  type InvocationScope,
  LOCAL_ACCOUNT_ID,
  modelNotReady,
  requestViolations,
  runtimeError,
  targetModelNotSupported,
  unknownVariant,
} from './aws-errors.ts';
import type { Container, ContainerOutcome } from './container.ts';
import { type CrashMode, faultsFromAttributes, type InvocationFaults } from './faults.ts';
import { header, type Reply } from './http.ts';
import type { ModelHost } from './model-host.ts';

export interface RuntimeApiOptions {
  readonly container: Container;
  readonly host: ModelHost;
  readonly endpointNames: readonly string[];
  readonly variantName: string;
  /** How long to wait for the container, as SageMaker does (SAGEMAKER_CONTAINER_TIMEOUT_MS). */
  readonly invocationTimeoutMs: number;
  /** Faults from the environment (for `runtimeError`). */
  readonly faults: InvocationFaults;
  /** Honour `fault-*` custom attributes (LOCAL_FAULTS=on). */
  readonly perRequestFaults: boolean;
  /** Carries out a crash the container asked for (`exit` ends the process). */
  readonly crash: (mode: CrashMode) => void;
}

export interface RuntimeRequest {
  readonly endpointName: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Region when the request's signature does not name one. */
export const DEFAULT_REGION = 'us-east-1';

/** The region of the SigV4 credential scope (`Credential=AKID/20240101/eu-west-1/sagemaker/aws4_request`). */
export function regionOf(authorization: string | undefined): string {
  return (
    /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '')?.[1] ?? DEFAULT_REGION
  );
}

type Timed = ContainerOutcome | { readonly kind: 'timeout' };

export function createRuntimeApi(options: RuntimeApiOptions) {
  const endpoints = new Set(options.endpointNames);

  async function callContainer(request: RuntimeRequest): Promise<Timed> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Timed>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ kind: 'timeout' });
      }, options.invocationTimeoutMs);
    });
    const call = options.container(
      {
        contentType: header(request.headers, 'content-type'),
        accept: header(request.headers, 'accept'),
        customAttributes: header(request.headers, 'x-amzn-sagemaker-custom-attributes'),
        body: request.body,
      },
      controller.signal,
    );
    try {
      return await Promise.race([call, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers one InvokeEndpoint call (authorization already checked by the server). */
  return async function invoke(request: RuntimeRequest): Promise<Reply> {
    const { headers } = request;
    const scope: InvocationScope = {
      region: regionOf(header(headers, 'authorization')),
      account: LOCAL_ACCOUNT_ID,
      endpointName: request.endpointName,
    };
    // SageMaker checks the request's shape before looking the endpoint up.
    const violations = requestViolations(
      header(headers, 'x-amzn-sagemaker-inference-id'),
      header(headers, 'x-amzn-sagemaker-custom-attributes'),
    );
    if (violations.length > 0) return constraintsViolated(violations);
    if (!endpoints.has(request.endpointName)) return endpointNotFound(scope);
    if (header(headers, 'x-amzn-sagemaker-target-model') !== undefined) {
      return targetModelNotSupported(scope);
    }
    const variant = header(headers, 'x-amzn-sagemaker-target-variant');
    if (variant !== undefined && variant !== options.variantName) {
      return unknownVariant(scope, variant);
    }
    let faults = options.faults;
    try {
      if (options.perRequestFaults) {
        faults = faultsFromAttributes(
          header(headers, 'x-amzn-sagemaker-custom-attributes'),
          options.faults,
        );
      }
    } catch {
      // The container reports a malformed fault attribute itself (as a 400).
    }
    if (faults.runtimeError !== undefined) {
      return runtimeError(faults.runtimeError, `Injected fault: ${faults.runtimeError}`);
    }
    if (options.host.status !== 'ready') return modelNotReady(scope);

    const outcome = await callContainer(request);
    if (outcome.kind === 'timeout') return containerTimedOut(scope);
    if (outcome.kind === 'crash') {
      options.crash(outcome.mode);
      return containerUnreachable(scope);
    }
    const { reply } = outcome;
    if (reply.status < 200 || reply.status > 299) {
      const text = typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body).toString();
      return containerFailed(scope, reply.status, text);
    }
    // SageMaker passes on the body and content type only, and names the variant.
    return {
      status: 200,
      headers: {
        'Content-Type': reply.headers['Content-Type'] ?? 'application/octet-stream',
        'x-Amzn-Invoked-Production-Variant': options.variantName,
        'x-amzn-RequestId': randomUUID(),
      },
      body: reply.body,
    };
  };
}

export type RuntimeApi = ReturnType<typeof createRuntimeApi>;
