import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { sameKey } from './api-keys.ts';
import type {
  ApiModel,
  GatewayResponse,
  IntegrationResponse,
  LambdaFunction,
  Route,
  Stage,
} from './emulation/api-model.ts';
import { buildProxyEvent, eventBytes } from './emulation/event.ts';
import { lambdaContext } from './emulation/lambda-context.ts';
import { type MappingContext, mapParameter, renderTemplate } from './emulation/mapping.ts';
import { translateResult } from './emulation/result.ts';
import { type Clock, Quota, TokenBucket } from './emulation/throttle.ts';

/** API Gateway's payload limit (it cannot be raised). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda's synchronous event limit; the event carries the body base64-encoded. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** API Gateway's default integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export type LambdaHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

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
  readonly clock?: Clock;
  /** Overrides for tests; AWS's values by default. */
  readonly limits?: { readonly integrationTimeoutMs?: number };
}

/** API Gateway's own default messages and statuses for the errors it makes. */
const AWS_DEFAULTS: Record<string, { status: number; message: string }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  QUOTA_EXCEEDED: { status: 429, message: 'Limit Exceeded' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
  INTEGRATION_FAILURE: { status: 504, message: 'Internal server error' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  DEFAULT_5XX: { status: 502, message: 'Internal server error' },
};

/** The page's asset types: nothing else in the static directory (tests, configs) is served. */
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Reply {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly errorType?: string;
}

/** One usage plan's throttle and quota for the one local key. */
interface PlanState {
  readonly stages: readonly string[];
  readonly apiKeyId: string;
  readonly bucket: TokenBucket | undefined;
  readonly quota: Quota | undefined;
}

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
 * stage throttling, request validation, binary media types, the Lambda
 * proxy integration run in-process, the passthrough AWS integration to the
 * local SageMaker Runtime, gateway responses, CORS preflight, and AWS's
 * limits. Everything it knows comes from the synthesised template.
 */
export function createGateway(options: GatewayOptions): Server {
  const { model } = options;
  const clock = options.clock ?? Date.now;
  const integrationTimeoutMs = options.limits?.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const stages = new Map(model.stages.map((stage) => [stage.name, stage]));
  const stageBuckets = new Map(
    model.stages
      .filter((stage) => stage.throttle !== undefined)
      .map((stage) => [
        stage.name,
        new TokenBucket(stage.throttle?.rateLimit ?? 0, stage.throttle?.burstLimit ?? 0, clock),
      ]),
  );
  const plans: PlanState[] = model.usagePlans
    .filter((plan) => plan.apiKeyIds.length > 0)
    .map((plan) => ({
      stages: plan.stages,
      apiKeyId: plan.apiKeyIds[0] as string,
      bucket:
        plan.throttle && new TokenBucket(plan.throttle.rateLimit, plan.throttle.burstLimit, clock),
      quota: plan.quota && new Quota(plan.quota.limit, plan.quota.period, clock),
    }));
  const handlers = new Map<string, LambdaHandler>();
  const handlerOf = (fn: LambdaFunction) => {
    let handler = handlers.get(fn.id);
    if (handler === undefined) {
      handler = options.handlerFor(fn);
      handlers.set(fn.id, handler);
    }
    return handler;
  };
  const staticDir =
    options.staticDir !== undefined && existsSync(options.staticDir)
      ? resolve(options.staticDir)
      : undefined;

  /** A gateway-made error, restyled by the stack's gateway response for `type`. */
  function gatewayError(
    type: string,
    message: string,
    mapping: MappingContext,
    requestHeader: (name: string) => string | undefined,
  ): Reply {
    const defaults = AWS_DEFAULTS[type] ?? { status: 400, message };
    const fallback = defaults.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const response: GatewayResponse | undefined =
      model.gatewayResponses.get(type) ?? model.gatewayResponses.get(fallback);
    const context = { ...mapping, errorMessage: message, errorResponseType: type };
    if (response === undefined) {
      return {
        status: defaults.status,
        headers: [['Content-Type', 'application/json']],
        body: Buffer.from(JSON.stringify({ message })),
        errorType: type,
      };
    }
    const headers: Array<[string, string]> = [];
    for (const [key, expression] of Object.entries(response.responseParameters)) {
      if (!key.startsWith('gatewayresponse.header.')) continue;
      const value = mapParameter(expression, context, requestHeader);
      if (value !== undefined) headers.push([key.slice('gatewayresponse.header.'.length), value]);
    }
    if (!headers.some(([name]) => name.toLowerCase() === 'content-type'))
      headers.push(['Content-Type', 'application/json']);
    const template = response.responseTemplates['application/json'];
    const body =
      template === undefined ? JSON.stringify({ message }) : renderTemplate(template, context);
    return {
      status: response.statusCode ?? defaults.status,
      headers,
      body: Buffer.from(body),
      errorType: type,
    };
  }

  async function invokeLambda(
    route: Route & { integration: { type: 'AWS_PROXY' } },
    req: IncomingMessage,
    body: Buffer,
    url: URL,
    stage: Stage,
    mapping: MappingContext,
    apiKey: string | null,
    requestTime: number,
    requestHeader: (name: string) => string | undefined,
  ): Promise<Reply> {
    const fn = model.functions.get(route.integration.functionId);
    if (fn === undefined)
      return gatewayError('DEFAULT_5XX', 'Internal server error', mapping, requestHeader);
    const event = buildProxyEvent(
      {
        method: req.method ?? 'GET',
        path: route.path,
        query: url.searchParams,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: mapping.sourceIp,
      },
      {
        stage: stage.name,
        resourcePath: route.path,
        stageVariables: Object.keys(stage.variables).length === 0 ? null : stage.variables,
        requestId: mapping.requestId,
        requestTimeEpoch: requestTime,
        apiKey,
        apiKeyId: apiKey === null ? null : mapping.apiKeyId,
        binaryMediaTypes: model.binaryMediaTypes,
      },
    );
    if (eventBytes(event) > MAX_EVENT_BYTES) {
      return gatewayError('REQUEST_TOO_LARGE', 'Request Too Long', mapping, requestHeader);
    }
    const functionTimeoutMs = fn.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      handlerOf(fn)(
        event,
        lambdaContext(functionTimeoutMs, {
          awsRequestId: randomUUID(),
          memoryLimitInMB: fn.memoryMb,
        }),
      )
        .then((result) => ({ result }))
        .catch((error: unknown) => ({ error })),
      new Promise<{ timeout: 'function' | 'integration' }>((resolveTimeout) => {
        const integrationFirst = integrationTimeoutMs <= functionTimeoutMs;
        timer = setTimeout(
          () => resolveTimeout({ timeout: integrationFirst ? 'integration' : 'function' }),
          Math.min(integrationTimeoutMs, functionTimeoutMs),
        );
      }),
    ]);
    clearTimeout(timer);
    if ('timeout' in outcome) {
      // A Lambda past its own timeout is an invocation error (502); API
      // Gateway's integration timeout is a 504.
      return outcome.timeout === 'integration'
        ? gatewayError('INTEGRATION_TIMEOUT', 'Endpoint request timed out', mapping, requestHeader)
        : gatewayError('DEFAULT_5XX', 'Internal server error', mapping, requestHeader);
    }
    if ('error' in outcome) {
      return gatewayError('DEFAULT_5XX', 'Internal server error', mapping, requestHeader);
    }
    const translated = translateResult(
      outcome.result,
      requestHeader('accept'),
      model.binaryMediaTypes,
    );
    if ('invalid' in translated) {
      return gatewayError('DEFAULT_5XX', 'Internal server error', mapping, requestHeader);
    }
    return { status: translated.statusCode, headers: translated.headers, body: translated.body };
  }

  function applyIntegrationResponse(
    responses: readonly IntegrationResponse[],
    status: number,
    integrationHeaders: Record<string, string | string[] | undefined>,
    integrationBody: Buffer,
    mapping: MappingContext,
    requestHeader: (name: string) => string | undefined,
  ): Reply {
    const chosen =
      responses.find((r) => r.selectionPattern?.test(String(status))) ??
      responses.find((r) => r.selectionPattern === undefined);
    if (chosen === undefined)
      return gatewayError('DEFAULT_5XX', 'Internal server error', mapping, requestHeader);
    const integrationHeader = (name: string) => {
      const value = integrationHeaders[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };
    const headers: Array<[string, string]> = [];
    for (const [key, expression] of Object.entries(chosen.responseParameters)) {
      if (!key.startsWith('method.response.header.')) continue;
      const value = mapParameter(expression, mapping, requestHeader, integrationHeader);
      if (value !== undefined) headers.push([key.slice('method.response.header.'.length), value]);
    }
    const template = chosen.responseTemplates['application/json'];
    return {
      status: chosen.statusCode,
      headers,
      body:
        template === undefined ? integrationBody : Buffer.from(renderTemplate(template, mapping)),
    };
  }

  function invokeAws(
    route: Route & { integration: { type: 'AWS' } },
    body: Buffer,
    stage: Stage,
    mapping: MappingContext,
    requestHeader: (name: string) => string | undefined,
  ): Promise<Reply> {
    const path = route.integration.path.replace(
      /\{stageVariables\.([A-Za-z0-9_]+)\}|\$\{stageVariables\.([A-Za-z0-9_]+)\}/g,
      (_, a?: string, b?: string) => encodeURIComponent(stage.variables[(a ?? b) as string] ?? ''),
    );
    const headers: Record<string, string> = {
      // API Gateway signs with the integration's role; the local server only checks one is there.
      Authorization:
        'AWS4-HMAC-SHA256 Credential=LOCALGATEWAY/19700101/us-east-1/sagemaker/aws4_request',
      'Content-Length': String(body.length),
    };
    for (const [key, expression] of Object.entries(route.integration.requestParameters)) {
      if (!key.startsWith('integration.request.header.')) continue;
      const value = mapParameter(expression, mapping, requestHeader);
      if (value !== undefined) headers[key.slice('integration.request.header.'.length)] = value;
    }
    const target = new URL(`/${path}`, options.sagemakerUrl);
    return new Promise((resolveReply) => {
      const outgoing = httpRequest(
        target,
        { method: 'POST', headers, timeout: integrationTimeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolveReply(
              applyIntegrationResponse(
                route.integration.responses,
                res.statusCode ?? 500,
                res.headers,
                Buffer.concat(chunks),
                mapping,
                requestHeader,
              ),
            ),
          );
          res.on('error', () =>
            resolveReply(
              gatewayError('INTEGRATION_FAILURE', 'Internal server error', mapping, requestHeader),
            ),
          );
        },
      );
      outgoing.on('timeout', () => {
        outgoing.destroy();
        resolveReply(
          gatewayError('INTEGRATION_TIMEOUT', 'Endpoint request timed out', mapping, requestHeader),
        );
      });
      outgoing.on('error', () =>
        resolveReply(
          gatewayError('INTEGRATION_FAILURE', 'Internal server error', mapping, requestHeader),
        ),
      );
      outgoing.end(body);
    });
  }

  function mockResponse(
    route: Route & { integration: { type: 'MOCK' } },
    mapping: MappingContext,
    requestHeader: (name: string) => string | undefined,
  ): Reply {
    const [response] = route.integration.responses;
    if (response === undefined) return { status: 200, headers: [], body: Buffer.alloc(0) };
    return applyIntegrationResponse(
      [response],
      response.statusCode,
      {},
      Buffer.alloc(0),
      mapping,
      requestHeader,
    );
  }

  function serveStatic(pathname: string, res: ServerResponse): boolean {
    if (staticDir === undefined) return false;
    const file = normalize(join(staticDir, pathname === '/' ? 'index.html' : pathname));
    const type = STATIC_TYPES[extname(file)];
    if (type === undefined || !file.startsWith(`${staticDir}${sep}`)) return false;
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    res.writeHead(200, {
      'Content-Type': type,
      'Cache-Control': 'no-cache',
    });
    createReadStream(file).pipe(res);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestTime = clock();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const requestHeader = (name: string) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(',') : value;
    };
    const [, stageName = '', ...rest] = url.pathname.split('/');
    const stage = stages.get(stageName);
    const resourcePath = `/${rest.join('/')}`;
    const mapping: MappingContext = {
      requestId: randomUUID(),
      stage: stageName,
      resourcePath,
      httpMethod: method,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      apiKeyId: '',
      errorMessage: '',
      errorResponseType: '',
    };
    let routeLabel = `${method} ${url.pathname}`;
    let reply: Reply;

    if (
      stage === undefined &&
      (method === 'GET' || method === 'HEAD') &&
      serveStatic(url.pathname, res)
    ) {
      options.accessLog?.(
        JSON.stringify({
          requestId: mapping.requestId,
          route: routeLabel,
          status: 200,
          static: true,
        }),
      );
      return;
    }

    const body = await readBody(req, MAX_REQUEST_BYTES);
    const route = model.routes.find((r) => r.path === resourcePath && r.method === method);
    if (body === 'too large') {
      // Observed: API Gateway answers its payload limit itself, in plain text.
      reply = {
        status: 413,
        headers: [['Content-Type', 'text/plain']],
        body: Buffer.from(`HTTP content length exceeded ${MAX_REQUEST_BYTES} bytes.`),
        errorType: 'REQUEST_TOO_LARGE',
      };
    } else if (stage === undefined || route === undefined) {
      reply = gatewayError(
        'MISSING_AUTHENTICATION_TOKEN',
        'Missing Authentication Token',
        mapping,
        requestHeader,
      );
    } else {
      routeLabel = `${method} /${stage.name}${route.path}`;
      reply = await dispatch(route, stage, body);
    }

    async function dispatch(route: Route, stage: Stage, body: Buffer): Promise<Reply> {
      let apiKey: string | null = null;
      if (route.apiKeyRequired) {
        const presented = requestHeader('x-api-key');
        const plan = plans.find((p) => p.stages.includes(stage.name));
        if (presented === undefined || plan === undefined || !sameKey(presented, options.apiKey)) {
          return gatewayError('INVALID_API_KEY', 'Forbidden', mapping, requestHeader);
        }
        apiKey = presented;
        (mapping as { apiKeyId: string }).apiKeyId = plan.apiKeyId;
        if (stageBuckets.get(stage.name)?.take() === false || plan.bucket?.take() === false) {
          return gatewayError('THROTTLED', 'Too Many Requests', mapping, requestHeader);
        }
        if (plan.quota?.take() === false)
          return gatewayError('QUOTA_EXCEEDED', 'Limit Exceeded', mapping, requestHeader);
      } else if (stageBuckets.get(stage.name)?.take() === false) {
        return gatewayError('THROTTLED', 'Too Many Requests', mapping, requestHeader);
      }
      const missing = route.requiredHeaders.filter((name) => requestHeader(name) === undefined);
      if (missing.length > 0) {
        return gatewayError(
          'BAD_REQUEST_PARAMETERS',
          `Missing required request parameters: [${missing.join(', ')}]`,
          mapping,
          requestHeader,
        );
      }
      switch (route.integration.type) {
        case 'AWS_PROXY':
          return invokeLambda(
            route as Route & { integration: { type: 'AWS_PROXY' } },
            req,
            body,
            url,
            stage,
            mapping,
            apiKey,
            requestTime,
            requestHeader,
          );
        case 'AWS':
          return invokeAws(
            route as Route & { integration: { type: 'AWS' } },
            body,
            stage,
            mapping,
            requestHeader,
          );
        case 'MOCK':
          return mockResponse(
            route as Route & { integration: { type: 'MOCK' } },
            mapping,
            requestHeader,
          );
      }
    }

    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of reply.headers) {
      const existing = headers[name];
      headers[name] =
        existing === undefined
          ? value
          : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    headers['x-amzn-RequestId'] = mapping.requestId;
    if (reply.errorType !== undefined) headers['x-amzn-ErrorType'] = reply.errorType;
    res.writeHead(reply.status, headers);
    res.end(reply.body);
    options.accessLog?.(
      JSON.stringify({
        requestId: mapping.requestId,
        stage: stage?.name ?? null,
        route: routeLabel,
        status: reply.status,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
        apiKeyId: mapping.apiKeyId || null,
        ...(reply.errorType === undefined ? {} : { errorType: reply.errorType }),
      }),
    );
  }

  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'Internal server error' }));
    });
  });
}
