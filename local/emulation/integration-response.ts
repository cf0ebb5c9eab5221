/**
 * The response side of AWS and MOCK integrations: the integration response
 * chosen by the backend's status code, its payload conversion
 * (`contentHandling`), its `method.response.header.*` mappings and its
 * `application/json` template, whose `$context.responseOverride` has the
 * last word on status and headers.
 */
import type { ContentHandling, IntegrationResponse } from './api-model.ts';
import { methodResponsePayload, NOT_BASE64 } from './content-handling.ts';
import {
  evaluateTemplate,
  type HeaderLookup,
  type MappingContext,
  mapParameter,
  TemplateError,
  type TemplateInput,
} from './mapping.ts';
import { matchesMediaType } from './media-types.ts';
import type { Fault, Outcome, Reply } from './reply.ts';

const HEADER_PREFIX = 'method.response.header.';
const NO_HEADER: HeaderLookup = () => undefined;
const EMPTY_OK: Reply = { status: 200, headers: [], body: Buffer.alloc(0) };
const CONFIGURATION_ERROR: Fault = { fault: 'API_CONFIGURATION_ERROR' };
const NO_PARAMS: Omit<TemplateInput, 'body'> = {
  params: { path: {}, querystring: {}, header: {} },
};

/**
 * The integration response for `status`: the first whose selection pattern
 * matches the whole status code, else the default (the one without a
 * pattern); undefined when neither exists.
 */
export function selectIntegrationResponse(
  responses: readonly IntegrationResponse[],
  status: number,
): IntegrationResponse | undefined {
  const code = String(status);
  return (
    responses.find((r) => r.selectionPattern?.test(code)) ??
    responses.find((r) => r.selectionPattern === undefined)
  );
}

/** What the backend answered, as the integration response sees it. */
export interface IntegrationResult {
  readonly status: number;
  /** Case-insensitive lookup in the backend's response headers. */
  readonly header: HeaderLookup;
  readonly body: Buffer;
}

/** The method request, as the response side needs it. */
export interface MethodRequest {
  /** The request's Accept header. */
  readonly accept: string | undefined;
  readonly binaryMediaTypes: readonly string[];
  /** `$input.params()` for templates. */
  readonly input: () => Omit<TemplateInput, 'body'>;
}

/**
 * The method response: the selected integration response's status, its
 * header mappings, and its template rendered, or the backend's payload
 * (converted as contentHandling and binaryMediaTypes say, when `request` is
 * given) when it has none. No integration response for the status is a
 * DEFAULT_5XX, as API Gateway answers; a payload that cannot be converted
 * or a template that cannot run is an API_CONFIGURATION_ERROR.
 */
export function integrationReply(
  responses: readonly IntegrationResponse[],
  result: IntegrationResult,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
  request?: MethodRequest,
): Outcome {
  const chosen = selectIntegrationResponse(responses, result.status);
  if (chosen === undefined) return { fault: 'DEFAULT_5XX' };
  const headers: Array<[string, string]> = [];
  for (const [key, expression] of Object.entries(chosen.responseParameters)) {
    if (!key.startsWith(HEADER_PREFIX)) continue;
    const value = mapParameter(expression, mapping, requestHeader, result.header);
    if (value !== undefined) headers.push([key.slice(HEADER_PREFIX.length), value]);
  }
  const payload =
    request === undefined
      ? result.body
      : methodResponsePayload(
          result.body,
          result.header('content-type'),
          request.accept,
          request.binaryMediaTypes,
          chosen.contentHandling,
        );
  if (payload === NOT_BASE64) return CONFIGURATION_ERROR;
  const template = chosen.responseTemplates['application/json'];
  if (template === undefined) return { status: chosen.statusCode, headers, body: payload };
  let rendered: ReturnType<typeof evaluateTemplate>;
  try {
    rendered = evaluateTemplate(template, mapping, {
      ...(request?.input() ?? NO_PARAMS),
      body: payload.toString('utf8'),
    });
  } catch (error) {
    if (error instanceof TemplateError) return CONFIGURATION_ERROR;
    throw error;
  }
  for (const [name, value] of Object.entries(rendered.headers)) {
    const at = headers.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (at === -1) headers.push([name, value]);
    else headers[at] = [headers[at]?.[0] ?? name, value];
  }
  return {
    status: rendered.status ?? chosen.statusCode,
    headers,
    body: Buffer.from(rendered.body),
  };
}

/** The status a MOCK request template asks for (`{"statusCode": 200}`); 200 without one. */
function mockStatus(
  requestTemplates: Readonly<Record<string, string>>,
  mapping: MappingContext,
  input: Omit<TemplateInput, 'body'>,
): number | Fault {
  const template = requestTemplates['application/json'];
  if (template === undefined) return 200;
  try {
    // A mock's template need not be strict JSON: CDK writes `{ statusCode: 200 }`.
    const rendered = evaluateTemplate(template, mapping, { ...input, body: '' }).body;
    const match = /["']?statusCode["']?\s*:\s*["']?(\d{3})/.exec(rendered);
    return match === null ? 200 : Number(match[1]);
  } catch (error) {
    if (error instanceof TemplateError) return CONFIGURATION_ERROR;
    throw error;
  }
}

/** The method request of a MOCK integration: its request templates choose the status. */
export interface MockRequest extends MethodRequest {
  readonly requestTemplates?: Readonly<Record<string, string>>;
  /** The integration's contentHandling. */
  readonly contentHandling?: ContentHandling;
  readonly contentType: string | undefined;
}

/**
 * A MOCK integration (the CORS preflight): the status its request template
 * asks for selects the integration response, which answers as if the mock
 * had returned that status with no body; 200 and nothing when it has none.
 * A request whose type is a binary media type cannot go through the
 * template unless the integration converts it to text: API Gateway answers
 * 500 (aws-cdk issue 18297: `*\/*` in binaryMediaTypes breaks preflights).
 * Without `request`, its first integration response.
 */
export function mockReply(
  responses: readonly IntegrationResponse[],
  mapping: MappingContext,
  requestHeader: HeaderLookup,
  request?: MockRequest,
): Outcome {
  if (responses.length === 0) return EMPTY_OK;
  if (request === undefined) {
    const [first] = responses as [IntegrationResponse];
    return integrationReply(
      [first],
      { status: first.statusCode, header: NO_HEADER, body: Buffer.alloc(0) },
      mapping,
      requestHeader,
    );
  }
  const templates = request.requestTemplates ?? {};
  if (
    Object.keys(templates).length > 0 &&
    request.contentHandling !== 'CONVERT_TO_TEXT' &&
    matchesMediaType(request.contentType ?? 'application/json', request.binaryMediaTypes)
  ) {
    return CONFIGURATION_ERROR;
  }
  const status = mockStatus(templates, mapping, request.input());
  if (typeof status !== 'number') return status;
  return integrationReply(
    responses,
    { status, header: NO_HEADER, body: Buffer.alloc(0) },
    mapping,
    requestHeader,
    request,
  );
}
