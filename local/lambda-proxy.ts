/**
 * The Lambda proxy integration (AWS_PROXY): the v1 event built from the
 * request, the template's function run in-process with its own timeout
 * racing API Gateway's integration timeout, and its result translated the
 * way API Gateway does.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LAMBDA_MAX_EVENT_BYTES } from '#shared/aws-facts.ts';
import type { Integration, LambdaFunction } from './emulation/api-model.ts';
import { buildProxyEvent, eventBytes } from './emulation/event.ts';
import { lambdaContext } from './emulation/lambda-context.ts';
import type { Fault, Outcome } from './emulation/reply.ts';
import type { RouteScope } from './emulation/request-scope.ts';
import { translateResult } from './emulation/result.ts';

export type LambdaHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface LambdaProxyOptions {
  /** The template's functions, by logical id. */
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  /** The in-process handler for a function; asked once per function, on its first request. */
  readonly handlerFor: (fn: LambdaFunction) => LambdaHandler;
  readonly binaryMediaTypes: readonly string[];
  /** API Gateway's integration timeout, in milliseconds. */
  readonly integrationTimeoutMs: number;
}

const DEFAULT_5XX: Fault = { fault: 'DEFAULT_5XX' };
const TOO_LARGE: Fault = { fault: 'REQUEST_TOO_LARGE' };
const TIMED_OUT: Fault = { fault: 'INTEGRATION_TIMEOUT' };

type Settled =
  | { readonly result: APIGatewayProxyResult }
  | { readonly error: unknown }
  | { readonly timeout: 'function' | 'integration' };

/** Runs the Lambda proxy integrations of one API. */
export class LambdaProxyIntegration {
  private readonly options: LambdaProxyOptions;
  private readonly handlers = new Map<string, LambdaHandler>();

  constructor(options: LambdaProxyOptions) {
    this.options = options;
  }

  /**
   * The response for one request, or the fault API Gateway makes:
   * REQUEST_TOO_LARGE for an event over Lambda's limit, INTEGRATION_TIMEOUT
   * (504) when the integration timeout comes first, DEFAULT_5XX (502) for a
   * function that throws, outlives its own timeout or returns an invalid result.
   */
  async invoke(
    integration: Extract<Integration, { type: 'AWS_PROXY' }>,
    scope: RouteScope,
    body: Buffer,
  ): Promise<Outcome> {
    const fn = this.options.functions.get(integration.functionId);
    if (fn === undefined) return DEFAULT_5XX;
    const { stage, route, mapping } = scope;
    const event = buildProxyEvent(
      {
        method: scope.method,
        path: route.path,
        query: scope.url.searchParams,
        rawHeaders: scope.rawHeaders,
        body,
        sourceIp: mapping.sourceIp,
      },
      {
        stage: stage.name,
        resourcePath: route.path,
        stageVariables: Object.keys(stage.variables).length === 0 ? null : stage.variables,
        requestId: mapping.requestId,
        requestTimeEpoch: scope.requestTime,
        apiKey: scope.apiKey,
        apiKeyId: scope.apiKey === null ? null : mapping.apiKeyId,
        binaryMediaTypes: this.options.binaryMediaTypes,
      },
    );
    if (eventBytes(event) > LAMBDA_MAX_EVENT_BYTES) return TOO_LARGE;
    const settled = await this.run(fn, event);
    // A Lambda past its own timeout is an invocation error (502); API
    // Gateway's integration timeout is a 504.
    if ('timeout' in settled) return settled.timeout === 'integration' ? TIMED_OUT : DEFAULT_5XX;
    if ('error' in settled) return DEFAULT_5XX;
    const translated = translateResult(
      settled.result,
      scope.header('accept'),
      this.options.binaryMediaTypes,
    );
    if ('invalid' in translated) return DEFAULT_5XX;
    return { status: translated.statusCode, headers: translated.headers, body: translated.body };
  }

  /** The handler's result or error, or which timeout came first. */
  private async run(fn: LambdaFunction, event: APIGatewayProxyEvent): Promise<Settled> {
    const functionTimeoutMs = fn.timeoutSeconds * 1000;
    const { integrationTimeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Settled>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            timeout: integrationTimeoutMs <= functionTimeoutMs ? 'integration' : 'function',
          }),
        Math.min(integrationTimeoutMs, functionTimeoutMs),
      );
    });
    const context = lambdaContext(functionTimeoutMs, {
      awsRequestId: randomUUID(),
      memoryLimitInMB: fn.memoryMb,
    });
    try {
      return await Promise.race([
        this.handlerOf(fn)(event, context).then(
          (result): Settled => ({ result }),
          (error: unknown): Settled => ({ error }),
        ),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private handlerOf(fn: LambdaFunction): LambdaHandler {
    let handler = this.handlers.get(fn.id);
    if (handler === undefined) {
      handler = this.options.handlerFor(fn);
      this.handlers.set(fn.id, handler);
    }
    return handler;
  }
}
