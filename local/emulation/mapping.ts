/**
 * API Gateway's mapping language: `$context` and `$input` for mapping
 * templates (rendered by the Velocity subset in vtl.ts, with
 * `$context.responseOverride` read back), and parameter mappings
 * (`'literal'`, `context.x`, `method.request.header.X`,
 * `integration.response.header.X`). An unset variable renders empty, as in
 * API Gateway. Source: API Gateway developer guide, "API Gateway mapping
 * template and access logging variable reference".
 */
import { renderVtl, stringify, TemplateError } from './vtl.ts';

export { TemplateError };

/** `$context` of one request; the optional fields are empty when unknown. */
export interface MappingContext {
  readonly requestId: string;
  readonly stage: string;
  readonly resourcePath: string;
  readonly httpMethod: string;
  readonly sourceIp: string;
  readonly apiKeyId: string;
  readonly errorMessage: string;
  readonly errorResponseType: string;
  /** The id API Gateway generates itself (also `x-amz-apigw-id`). */
  readonly extendedRequestId?: string;
  /** CLF time, `dd/MMM/yyyy:HH:mm:ss +0000`. */
  readonly requestTime?: string;
  readonly requestTimeEpoch?: number;
  readonly domainName?: string;
  readonly domainPrefix?: string;
  readonly accountId?: string;
  readonly apiId?: string;
  readonly userAgent?: string;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

function contextValue(name: string, context: MappingContext): string {
  switch (name) {
    case 'requestId':
      return context.requestId;
    case 'extendedRequestId':
      return context.extendedRequestId ?? '';
    case 'stage':
      return context.stage;
    case 'resourcePath':
      return context.resourcePath;
    case 'httpMethod':
      return context.httpMethod;
    case 'identity.sourceIp':
      return context.sourceIp;
    case 'identity.apiKeyId':
      return context.apiKeyId;
    case 'identity.userAgent':
      return context.userAgent ?? '';
    case 'error.message':
      return context.errorMessage;
    case 'error.messageString':
      return JSON.stringify(context.errorMessage);
    case 'error.responseType':
      return context.errorResponseType;
    case 'requestTime':
      return context.requestTime ?? '';
    case 'requestTimeEpoch':
      return context.requestTimeEpoch === undefined ? '' : String(context.requestTimeEpoch);
    case 'domainName':
      return context.domainName ?? '';
    case 'domainPrefix':
      return context.domainPrefix ?? '';
    case 'accountId':
      return context.accountId ?? '';
    case 'apiId':
      return context.apiId ?? '';
    default:
      return '';
  }
}

/** `$context` as the template sees it, with a fresh `responseOverride` to write into. */
function contextObject(context: MappingContext): Record<string, unknown> {
  return {
    requestId: context.requestId,
    extendedRequestId: contextValue('extendedRequestId', context),
    stage: context.stage,
    resourcePath: context.resourcePath,
    httpMethod: context.httpMethod,
    identity: {
      sourceIp: context.sourceIp,
      apiKeyId: context.apiKeyId,
      userAgent: contextValue('identity.userAgent', context),
    },
    error: {
      message: context.errorMessage,
      messageString: JSON.stringify(context.errorMessage),
      responseType: context.errorResponseType,
    },
    requestTime: contextValue('requestTime', context),
    requestTimeEpoch: context.requestTimeEpoch ?? '',
    domainName: contextValue('domainName', context),
    domainPrefix: contextValue('domainPrefix', context),
    accountId: contextValue('accountId', context),
    apiId: contextValue('apiId', context),
    responseOverride: { header: {} },
    requestOverride: { header: {}, path: {}, querystring: {} },
  };
}

/** The method request's parameters, as `$input.params()` returns them (header names in the client's casing). */
export interface MethodRequestParams {
  readonly path: Readonly<Record<string, string>>;
  readonly querystring: Readonly<Record<string, string>>;
  readonly header: Readonly<Record<string, string>>;
}

/** What `$input` reads: the method request's parameters and the payload as text. */
export interface TemplateInput {
  readonly params: MethodRequestParams;
  /** The request body (request templates) or the integration's response body. */
  readonly body: string;
}

const NO_INPUT: TemplateInput = { params: { path: {}, querystring: {}, header: {} }, body: '' };

/** A value at a JSONPath (`$`, `$.a.b`, `$.a[0]`, `$['a']`); undefined when absent. */
function jsonPath(document: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  let value = document;
  const steps = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  steps.lastIndex = 1;
  let match: RegExpExecArray | null = steps.exec(path);
  while (match !== null) {
    if (value === null || typeof value !== 'object') return undefined;
    const key = match[1] ?? match[2] ?? match[3] ?? match[4] ?? '';
    value = (value as Record<string, unknown>)[key];
    if (steps.lastIndex === path.length) break;
    match = steps.exec(path);
  }
  return value;
}

function inputObject(input: TemplateInput): Record<string, unknown> {
  let parsed: { value: unknown } | undefined;
  const document = () => {
    if (parsed === undefined) {
      try {
        parsed = { value: JSON.parse(input.body) as unknown };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
  const { params } = input;
  return {
    body: input.body,
    params: (name?: unknown) => {
      if (name === undefined) return { ...params };
      const key = String(name);
      const header = Object.entries(params.header).find(
        ([h]) => h.toLowerCase() === key.toLowerCase(),
      );
      return params.path[key] ?? params.querystring[key] ?? header?.[1] ?? '';
    },
    path: (path: unknown) => jsonPath(document(), String(path)) ?? null,
    json: (path: unknown) => JSON.stringify(jsonPath(document(), String(path)) ?? null),
  };
}

/** `$util`. Source: the mapping template reference, "$util variables". */
const UTIL = Object.freeze({
  escapeJavaScript: (value: unknown) =>
    JSON.stringify(stringify(value)).slice(1, -1).replace(/'/g, "\\'"),
  base64Encode: (value: unknown) => Buffer.from(stringify(value), 'utf8').toString('base64'),
  base64Decode: (value: unknown) => Buffer.from(stringify(value), 'base64').toString('utf8'),
  urlEncode: (value: unknown) => encodeURIComponent(stringify(value)),
  urlDecode: (value: unknown) => decodeURIComponent(stringify(value)),
  parseJson: (value: unknown) => JSON.parse(stringify(value)) as unknown,
});

/** A rendered template and the overrides it set. */
export interface RenderedTemplate {
  readonly body: string;
  /** `$context.responseOverride.status`, when set. */
  readonly status: number | undefined;
  /** `$context.responseOverride.header.*`, by header name. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Renders a mapping template and returns what it set in
 * `$context.responseOverride`.
 * @throws TemplateError for a template API Gateway would reject
 */
export function evaluateTemplate(
  template: string,
  context: MappingContext,
  input: TemplateInput = NO_INPUT,
): RenderedTemplate {
  const contextVariable = contextObject(context);
  const body = renderVtl(template, {
    context: contextVariable,
    input: inputObject(input),
    util: UTIL,
    stageVariables: { ...context.stageVariables },
  });
  const override = contextVariable.responseOverride as {
    status?: unknown;
    header: Record<string, unknown>;
  };
  const status = override.status === undefined ? undefined : Number(override.status);
  return {
    body,
    status: status !== undefined && Number.isInteger(status) ? status : undefined,
    headers: Object.fromEntries(
      Object.entries(override.header).map(([name, value]) => [name, stringify(value)]),
    ),
  };
}

/** Renders a body mapping template. @throws TemplateError */
export function renderTemplate(
  template: string,
  context: MappingContext,
  input?: TemplateInput,
): string {
  return evaluateTemplate(template, context, input).body;
}

/** Case-insensitive header lookup in a Node request's headers. */
export type HeaderLookup = (name: string) => string | undefined;

/** Evaluates a parameter mapping expression; undefined when its source is absent. */
export function mapParameter(
  expression: string,
  context: MappingContext,
  requestHeader: HeaderLookup,
  integrationHeader: HeaderLookup = () => undefined,
): string | undefined {
  if (expression.startsWith("'") && expression.endsWith("'")) return expression.slice(1, -1);
  if (expression.startsWith('context.'))
    return contextValue(expression.slice('context.'.length), context);
  if (expression.startsWith('stageVariables.')) {
    return context.stageVariables?.[expression.slice('stageVariables.'.length)];
  }
  if (expression.startsWith('method.request.header.')) {
    return requestHeader(expression.slice('method.request.header.'.length));
  }
  if (expression.startsWith('integration.response.header.')) {
    return integrationHeader(expression.slice('integration.response.header.'.length));
  }
  return undefined;
}
