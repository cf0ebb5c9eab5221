import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_MAX_REQUEST_BYTES,
} from '#shared/aws-facts.ts';
import { apiDocs } from './api-docs.ts';
import { AwsIntegration } from './aws-integration.ts';
import {
  answerClientErrors,
  type ClientLimits,
  HEADERS_TIMEOUT_MS,
  type InFlight,
  REQUEST_TIMEOUT_MS,
  serverTimeouts,
  TIMEOUT_CHECK_INTERVAL_MS,
} from './client-errors.ts';
import type { ApiModel, LambdaFunction } from './emulation/api-model.ts';
import { type TokenAuthorizerFunction, TokenAuthorizers } from './emulation/authorizers.ts';
import { extendedRequestIdOf, requestTimeClf, traceIdOf } from './emulation/event.ts';
import {
  fallback4xxReply,
  gatewayReply,
  payloadTooLargeReply,
} from './emulation/gateway-responses.ts';
import { mockReply } from './emulation/integration-response.ts';
import type { MappingContext } from './emulation/mapping.ts';
import type { ServiceAnswer } from './emulation/permissions.ts';
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
  /**
   * The in-process function of each Lambda authorizer of the template.
   * Undefined: a method with an authorizer answers AUTHORIZER_CONFIGURATION_ERROR.
   */
  readonly authorizerFor?: (fn: LambdaFunction) => TokenAuthorizerFunction;
  /** JSON documents served for GET outside the stages, by path (the local issuer's JWKS). */
  readonly documents?: ReadonlyMap<string, string>;
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
  /**
   * SageMaker Runtime's answer while the local one is down: see
   * `AwsIntegrationOptions.whileDown`. Undefined: INTEGRATION_FAILURE.
   */
  readonly sagemakerWhileDown?: ServiceAnswer;
  /** Overrides for tests; AWS's values (and the client limits of client-errors.ts) by default. */
  readonly limits?: ClientLimits & {
    /** @default API_GATEWAY_INTEGRATION_TIMEOUT_MS (29 s) */
    readonly integrationTimeoutMs?: number;
  };
}

const MISSING_TOKEN: Fault = { fault: 'MISSING_AUTHENTICATION_TOKEN' };

/** The declared body length is over `limit`: answered before anything is read. */
function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit;
}

/**
 * Reads a request body up to `limit` bytes. Past it, the rest is drained (so
 * the client, still sending, reads the 413 instead of a reset) up to a
 * bound, then the connection is cut. 'aborted' when the connection closes
 * first (the client left, or was cut for being too slow and answered).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large' | 'aborted'> {
  const drainBound = limit * 8;
  return new Promise((resolvePromise) => {
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
    req.on('error', () => resolvePromise('aborted'));
    req.on('close', () => resolvePromise('aborted'));
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
 * synthesised template. As a server on a laptop it also bounds its clients
 * (client-errors.ts): slow or silent ones are cut with 408, what Node's
 * parser refuses gets problem+json, and a request without a route or a
 * valid key is answered before its body is read.
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
    whileDown: options.sagemakerWhileDown,
  });
  const { identity } = model.access;
  const authorizers = new TokenAuthorizers(
    model.access,
    (functionId) => {
      const fn = model.functions.get(functionId);
      if (fn === undefined || options.authorizerFor === undefined) {
        throw new Error(`No local function for authorizer function ${functionId}`);
      }
      return options.authorizerFor(fn);
    },
    clock,
  );
  const serveStatic = staticFiles(options.staticDir);
  const serveDocs = apiDocs(model.stages.map((stage) => stage.name));
  const executeApiDomain = `${identity.apiId}.execute-api.${identity.region}.amazonaws.com`;

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

  /** `$context` of a request before routing: API Gateway's ids, the time, the API's identity. */
  function baseMapping(requestTime: number, ids: Buffer): MappingContext {
    return {
      requestId: randomUUID(),
      extendedRequestId: extendedRequestIdOf(ids),
      stage: '',
      resourcePath: '',
      httpMethod: '',
      sourceIp: '127.0.0.1',
      apiKeyId: '',
      errorMessage: '',
      errorResponseType: '',
      requestTime: requestTimeClf(requestTime),
      requestTimeEpoch: requestTime,
      domainName: executeApiDomain,
      domainPrefix: identity.apiId,
      accountId: identity.accountId,
      apiId: identity.apiId,
    };
  }

  /**
   * The answer, if one is due before the body is read: a declared length
   * over API Gateway's limit, no such route, the method's authorizer
   * (before the API key, as API Gateway checks them), a missing or refused
   * API key, the throttle. So a client without a key costs no memory however large
   * its upload: its body is discarded as it arrives, or never sent when it
   * waits for `100 Continue`.
   */
  async function answerBeforeBody(
    req: IncomingMessage,
    request: RequestScope,
  ): Promise<{ reply: Reply; scope?: RouteScope } | RouteScope> {
    if (declaredTooLarge(req, API_GATEWAY_MAX_REQUEST_BYTES))
      return { reply: payloadTooLargeReply() };
    const stage = stages.get(request.mapping.stage);
    const route = findRoute(model.routes, request.mapping.resourcePath, request.method);
    if (stage === undefined || route === undefined)
      return { reply: render(MISSING_TOKEN, request) };
    let authorizer: Readonly<Record<string, unknown>> | undefined;
    if (route.authorizer !== undefined) {
      const decided = await authorizers.authorize(route.authorizer, {
        stage: stage.name,
        method: request.method,
        resourcePath: route.path,
        token: request.header(route.authorizer.identityHeader),
      });
      if (!decided.authorized) return { reply: render(decided.fault, request) };
      authorizer = decided.context;
    }
    const admission = usagePlans.admit(route, stage.name, request.header('x-api-key'));
    const scope = { ...routeScope(request, stage, route, admission), authorizer };
    return admission.admitted
      ? scope
      : { reply: render({ fault: admission.refusal }, scope), scope };
  }

  /** The reply for a routed, admitted request, once its body is in. */
  async function replyFor(
    req: IncomingMessage,
    res: ServerResponse,
    scope: RouteScope,
  ): Promise<Reply | 'aborted'> {
    // A client that left while the authorizer ran: its 'close' has been and gone.
    if (req.destroyed) return 'aborted';
    if (/^100-continue$/i.test(req.headers.expect ?? '')) res.writeContinue();
    const body = await readBody(req, API_GATEWAY_MAX_REQUEST_BYTES);
    if (body === 'aborted') return body;
    if (body === 'too large') return payloadTooLargeReply();
    return render(await integrate(scope, body), scope);
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
    const domainName = (req.headers.host ?? executeApiDomain).replace(/:\d+$/, '');
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
        ...baseMapping(requestTime, ids),
        stage: stageName,
        resourcePath,
        httpMethod: method,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        domainName,
        domainPrefix: domainName.split('.')[0] ?? '',
        userAgent: req.headers['user-agent'] ?? '',
        stageVariables: stage?.variables,
      },
    };
    let routeLabel = `${method} ${url.pathname}`;

    let scope: RequestScope = request;
    let reply: Reply;
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      // RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1
      // request without Host (HTTP/1.0 ones get the execute-api domain).
      const refused = fallback4xxReply(
        model.gatewayResponses,
        400,
        'An HTTP/1.1 request must carry a Host header.',
        request.mapping,
        request.header,
      );
      reply = { ...refused, headers: [...refused.headers, ['Connection', 'close']] };
    } else if (stage === undefined && method === 'GET' && options.documents?.has(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(options.documents.get(url.pathname));
      return;
    } else if (
      stage === undefined &&
      (method === 'GET' || method === 'HEAD') &&
      (serveDocs(req, url.pathname, res) || serveStatic?.(url.pathname, res) === true)
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
    } else {
      const early = await answerBeforeBody(req, request);
      const routed = 'reply' in early ? early.scope : early;
      if (routed !== undefined) {
        scope = routed;
        routeLabel = `${method} /${routed.stage.name}${routed.route.path}`;
      }
      if ('reply' in early) reply = early.reply;
      else {
        const answered = await replyFor(req, res, early);
        if (answered === 'aborted') return;
        reply = answered;
      }
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

  const inFlight = new WeakMap<Socket, InFlight>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(req.socket, { req, res });
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal server error' }));
    });
  };
  const limits = {
    headersTimeoutMs: options.limits?.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
    requestTimeoutMs: options.limits?.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    timeoutCheckIntervalMs: options.limits?.timeoutCheckIntervalMs ?? TIMEOUT_CHECK_INTERVAL_MS,
  };
  const server = createServer(serverTimeouts(limits), onRequest);
  // Expect: 100-continue reaches the handler before the body is sent: a
  // refused request is answered without it (curl waits for it above 1 MB).
  server.on('checkContinue', onRequest);
  answerClientErrors(server, {
    gatewayResponses: model.gatewayResponses,
    limits,
    inFlight: (socket) => inFlight.get(socket),
    mapping: () => {
      const requestTime = clock();
      return baseMapping(requestTime, randomBytes(23));
    },
    accessLog: options.accessLog,
  });
  server.on('close', () => aws.close());
  return server;
}
