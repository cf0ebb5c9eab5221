import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_MAX_REQUEST_BYTES,
} from '#shared/aws-facts.ts';
import { AwsIntegration } from './aws-integration.ts';
import type { ApiModel, LambdaFunction } from './emulation/api-model.ts';
import { extendedRequestIdOf, requestTimeClf, traceIdOf } from './emulation/event.ts';
import { gatewayReply, payloadTooLargeReply } from './emulation/gateway-responses.ts';
import { mockReply } from './emulation/integration-response.ts';
import {
  type Fault,
  isFault,
  type Outcome,
  type Reply,
  responseHeaders,
} from './emulation/reply.ts';
import { type RequestScope, type RouteScope, routeScope } from './emulation/request-scope.ts';
import { findRoute, splitStagePath, validateRequestParameters } from './emulation/routing.ts';
import type { Clock } from './emulation/throttle.ts';
import { UsagePlans } from './emulation/usage-plans.ts';
import { type LambdaHandler, LambdaProxyIntegration } from './lambda-proxy.ts';
import { staticFiles } from './static-files.ts';

export type { LambdaHandler };

export interface GatewayOptions {
  readonly model: ApiModel;
  /** The in-process handler for each Lambda function of the template. */
  readonly handlerFor: (fn: LambdaFunction) => LambdaHandler;
  /** The value every API key of the template has locally. */
  readonly apiKey: string;
  /** Where the passthrough route's AWS integration sends SageMaker Runtime calls. */
  readonly sagemakerUrl: string;
  /** Served at `/` for GET (the browser page), when it exists. */
  readonly staticDir?: string;
  /** One JSON line per request. */
  readonly accessLog?: (line: string) => void;
  /** @default Date.now */
  readonly clock?: Clock;
  /** Overrides for tests; AWS's values by default. */
  readonly limits?: {
    /** @default API_GATEWAY_INTEGRATION_TIMEOUT_MS (29 s) */
    readonly integrationTimeoutMs?: number;
  };
}

const MISSING_TOKEN: Fault = { fault: 'MISSING_AUTHENTICATION_TOKEN' };

/**
 * Reads a request body up to `limit` bytes. Past it, the rest is drained (so
 * the client, still sending, reads the 413 instead of a reset) up to a
 * bound, then the connection is cut.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  const drainBound = limit * 8;
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > drainBound) {
        req.destroy();
        resolvePromise('too large');
      }
    });
    req.on('end', () => resolvePromise(size > limit ? 'too large' : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/**
 * The local API Gateway (REST, v1 proxy): routes, API keys, usage plans,
 * stage throttling, request validation, the template's Lambda permissions
 * and execution role policies, binary media types and content handling, the
 * Lambda proxy integration run in-process, the passthrough AWS integration
 * to the local SageMaker Runtime, gateway responses, CORS preflight (its
 * mapping templates run), the ids and error headers AWS puts on every
 * response, and AWS's limits. Everything it knows comes from the
 * synthesised template.
 */
export function createGateway(options: GatewayOptions): Server {
  const { model } = options;
  const clock = options.clock ?? Date.now;
  const integrationTimeoutMs =
    options.limits?.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
  const stages = new Map(model.stages.map((stage) => [stage.name, stage]));
  const usagePlans = new UsagePlans(model, options.apiKey, clock);
  const lambdaProxy = new LambdaProxyIntegration({
    functions: model.functions,
    handlerFor: options.handlerFor,
    binaryMediaTypes: model.binaryMediaTypes,
    integrationTimeoutMs,
    access: model.access,
  });
  const aws = new AwsIntegration({
    sagemakerUrl: options.sagemakerUrl,
    integrationTimeoutMs,
    binaryMediaTypes: model.binaryMediaTypes,
    access: model.access,
  });
  const { identity } = model.access;
  const serveStatic = staticFiles(options.staticDir);

  /** The one place a fault becomes a response: the stack's gateway response for it. */
  const render = (outcome: Outcome, scope: RequestScope): Reply =>
    isFault(outcome)
      ? gatewayReply(model.gatewayResponses, outcome, scope.mapping, scope.header)
      : outcome;

  /** The request validator, then the method's integration. */
  function integrate(scope: RouteScope, body: Buffer): Outcome | Promise<Outcome> {
    const invalid = validateRequestParameters(scope.route, scope.header);
    if (invalid !== undefined) return invalid;
    const { integration } = scope.route;
    switch (integration.type) {
      case 'AWS_PROXY':
        return lambdaProxy.invoke(integration, scope, body);
      case 'AWS':
        return aws.invoke(integration, scope, body);
      case 'MOCK':
        return mockReply(integration.responses, scope.mapping, scope.header, {
          requestTemplates: integration.requestTemplates,
          contentHandling: integration.contentHandling,
          contentType: scope.header('content-type'),
          accept: scope.header('accept'),
          binaryMediaTypes: model.binaryMediaTypes,
        });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const { stageName, resourcePath } = splitStagePath(url.pathname);
    const stage = stages.get(stageName);
    const requestTime = clock();
    // API Gateway's own ids: x-amz-apigw-id (11 bytes) and an X-Ray trace id (12).
    const ids = randomBytes(23);
    // The Host the client used, as `$context.domainName` reports it (without a port).
    const domainName = (
      req.headers.host ?? `${identity.apiId}.execute-api.${identity.region}.amazonaws.com`
    ).replace(/:\d+$/, '');
    const request: RequestScope = {
      method,
      url,
      rawHeaders: req.rawHeaders,
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(',') : value;
      },
      requestTime,
      traceId: traceIdOf(requestTime, ids.subarray(11)),
      mapping: {
        requestId: randomUUID(),
        extendedRequestId: extendedRequestIdOf(ids),
        stage: stageName,
        resourcePath,
        httpMethod: method,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        apiKeyId: '',
        errorMessage: '',
        errorResponseType: '',
        requestTime: requestTimeClf(requestTime),
        requestTimeEpoch: requestTime,
        domainName,
        domainPrefix: domainName.split('.')[0] ?? '',
        accountId: identity.accountId,
        apiId: identity.apiId,
        userAgent: req.headers['user-agent'] ?? '',
        stageVariables: stage?.variables,
      },
    };
    let routeLabel = `${method} ${url.pathname}`;

    if (
      stage === undefined &&
      (method === 'GET' || method === 'HEAD') &&
      serveStatic?.(url.pathname, res) === true
    ) {
      options.accessLog?.(
        JSON.stringify({
          requestId: request.mapping.requestId,
          route: routeLabel,
          status: 200,
          static: true,
        }),
      );
      return;
    }

    const body = await readBody(req, API_GATEWAY_MAX_REQUEST_BYTES);
    const route = findRoute(model.routes, resourcePath, method);
    let scope: RequestScope = request;
    let reply: Reply;
    if (body === 'too large') {
      reply = payloadTooLargeReply();
    } else if (stage === undefined || route === undefined) {
      reply = render(MISSING_TOKEN, request);
    } else {
      routeLabel = `${method} /${stage.name}${route.path}`;
      const admission = usagePlans.admit(route, stage.name, request.header('x-api-key'));
      const matched = routeScope(request, stage, route, admission);
      scope = matched;
      reply = render(
        admission.admitted ? await integrate(matched, body) : { fault: admission.refusal },
        matched,
      );
    }

    const { requestId, apiKeyId } = scope.mapping;
    res.writeHead(
      reply.status,
      responseHeaders(reply, requestId, {
        extendedRequestId: request.mapping.extendedRequestId ?? '',
        traceId: request.header('x-amzn-trace-id') ?? request.traceId,
      }),
    );
    res.end(reply.body);
    options.accessLog?.(
      JSON.stringify({
        requestId,
        stage: stage?.name ?? null,
        route: routeLabel,
        status: reply.status,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
        apiKeyId: apiKeyId || null,
        ...(reply.errorType === undefined ? {} : { errorType: reply.errorType }),
      }),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
  server.on('close', () => aws.close());
  return server;
}
