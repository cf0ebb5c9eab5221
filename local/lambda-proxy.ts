/**
 * The Lambda proxy integration (AWS_PROXY): the function's resource policy
 * (or the integration's role) checked for the stage, method and path, the
 * v1 event built from the request, the template's function run in-process
 * with its own timeout racing API Gateway's integration timeout, and its
 * result translated the way API Gateway does.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LAMBDA_MAX_EVENT_BYTES } from '#shared/aws-facts.ts';
import type { Integration, LambdaFunction } from './emulation/api-model.ts';
import { executeApiArn, lambdaFunctionArn } from './emulation/aws-identity.ts';
import { buildProxyEvent, eventBytes } from './emulation/event.ts';
import { lambdaContext } from './emulation/lambda-context.ts';
import { type AccessModel, resourcePolicyAllows, roleAllows } from './emulation/permissions.ts';
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
  /** The template's Lambda permissions and roles. */
  readonly access: AccessModel;
}

const DEFAULT_5XX: Fault = { fault: 'DEFAULT_5XX' };
// "Execution failed due to configuration error: Invalid permissions on Lambda
// function": 500 Internal server error. Source: AWS Knowledge Center, "How do
// I resolve 'Invalid permissions on Lambda function' errors from API Gateway
// REST APIs?"
const NOT_PERMITTED: Fault = { fault: 'API_CONFIGURATION_ERROR' };
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
  /** Permission verdicts by function, stage, method and path: the template does not change. */
  private readonly permitted = new Map<string, boolean>();

  constructor(options: LambdaProxyOptions) {
    this.options = options;
  }

  /**
   * Whether API Gateway may invoke the function for this stage, method and
   * path: a Lambda permission for apigateway.amazonaws.com whose SourceArn
   * matches the call's execute-api ARN, or the integration's role allowed
   * `lambda:InvokeFunction` on it.
   */
  mayInvoke(integration: Extract<Integration, { type: 'AWS_PROXY' }>, scope: RouteScope): boolean {
    const key = `${integration.functionId} ${scope.stage.name} ${scope.method} ${scope.route.path}`;
    let verdict = this.permitted.get(key);
    if (verdict === undefined) {
      const { access } = this.options;
      const sourceArn = executeApiArn(
        access.identity,
        scope.stage.name,
        scope.method,
        scope.route.path,
      );
      verdict =
        resourcePolicyAllows(access, integration.functionId, sourceArn) ||
        (integration.credentials !== undefined &&
          roleAllows(
            access,
            integration.credentials,
            'lambda:InvokeFunction',
            lambdaFunctionArn(access.identity, integration.functionId),
          ) === 'allow');
      this.permitted.set(key, verdict);
    }
    return verdict;
  }

  /**
   * The response for one request, or the fault API Gateway makes:
   * API_CONFIGURATION_ERROR (500) when the template does not let API Gateway
   * invoke the function, REQUEST_TOO_LARGE for an event over Lambda's limit, INTEGRATION_TIMEOUT
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
    if (!this.mayInvoke(integration, scope)) return NOT_PERMITTED;
    const { stage, route, mapping } = scope;
    const { identity } = this.options.access;
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
        accountId: identity.accountId,
        apiId: identity.apiId,
        region: identity.region,
        extendedRequestId: mapping.extendedRequestId,
        traceId: scope.traceId,
        authorizer: scope.authorizer,
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
