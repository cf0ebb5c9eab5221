/**
 * The response side of AWS and MOCK integrations: the integration response
 * chosen by the backend's status code, its payload conversion
 * (`contentHandling` against binaryMediaTypes), its
 * `method.response.header.*` mappings and its `application/json` template,
 * run as VTL (vtl.ts) with the status and headers it overrides applied.
 */
import type { ContentHandling, IntegrationResponse } from './api-model.ts';
import { methodResponsePayload, NOT_BASE64 } from './content-handling.ts';
import { type HeaderLookup, type MappingContext, mapParameter } from './mapping.ts';
import { matchesMediaType } from './media-types.ts';
import type { Fault, Outcome, Reply } from './reply.ts';
import { evaluateTemplate, VtlError } from './vtl.ts';

const HEADER_PREFIX = 'method.response.header.';
const NO_HEADER: HeaderLookup = () => undefined;
const EMPTY_OK: Reply = { status: 200, headers: [], body: Buffer.alloc(0) };
const CONFIGURATION_ERROR: Fault = { fault: 'API_CONFIGURATION_ERROR' };

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

/** What the response side needs of the method request to convert the payload. */
export interface PayloadNegotiation {
  /** The request's Accept header (only its first media type counts). */
  readonly accept: string | undefined;
  readonly binaryMediaTypes: readonly string[];
}

/**
 * The method response: the selected integration response's status, its
 * header mappings, and its template rendered, or the backend's payload
 * (converted as contentHandling and binaryMediaTypes say, when
 * `negotiation` is given) when it has none. No integration response for the
 * status is a DEFAULT_5XX, as API Gateway answers; so is a template that
 * cannot run ("Execution failed due to configuration error"). A payload
 * CONVERT_TO_BINARY cannot decode is an API_CONFIGURATION_ERROR (500).
 */
export function integrationReply(
  responses: readonly IntegrationResponse[],
  result: IntegrationResult,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
  negotiation?: PayloadNegotiation,
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
    negotiation === undefined
      ? result.body
      : methodResponsePayload(
          result.body,
          result.header('content-type'),
          negotiation.accept,
          negotiation.binaryMediaTypes,
          chosen.contentHandling,
        );
  if (payload === NOT_BASE64) return CONFIGURATION_ERROR;
  const template = chosen.responseTemplates['application/json'];
  if (template === undefined) return { status: chosen.statusCode, headers, body: payload };
  let rendered: ReturnType<typeof evaluateTemplate>;
  try {
    rendered = evaluateTemplate(template, mapping, {
      body: payload.toString('utf8'),
      header: requestHeader,
    });
  } catch (error) {
    if (error instanceof VtlError)
      return { fault: 'DEFAULT_5XX', message: 'Internal server error' };
    throw error;
  }
  // An override replaces the mapped header of the same name.
  const overridden = new Set(rendered.headers.map(([name]) => name.toLowerCase()));
  return {
    status: rendered.status ?? chosen.statusCode,
    headers: [
      ...headers.filter(([name]) => !overridden.has(name.toLowerCase())),
      ...rendered.headers,
    ],
    body: Buffer.from(rendered.output),
  };
}

/** The method request of a MOCK integration: its request template chooses the status. */
export interface MockRequest extends PayloadNegotiation {
  readonly requestTemplates?: Readonly<Record<string, string>>;
  /** The integration's contentHandling. */
  readonly contentHandling?: ContentHandling;
  readonly contentType: string | undefined;
}

/** The status a MOCK request template asks for (`{"statusCode": 200}`); 200 without one. */
function mockStatus(
  requestTemplates: Readonly<Record<string, string>>,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): number | Fault {
  const template = requestTemplates['application/json'];
  if (template === undefined) return 200;
  try {
    // A mock's template need not be strict JSON: CDK writes `{ statusCode: 200 }`.
    const { output } = evaluateTemplate(template, mapping, { body: '', header: requestHeader });
    const match = /["']?statusCode["']?\s*:\s*["']?(\d{3})/.exec(output);
    return match === null ? 200 : Number(match[1]);
  } catch (error) {
    if (error instanceof VtlError) return CONFIGURATION_ERROR;
    throw error;
  }
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
  const [first] = responses;
  if (first === undefined) return EMPTY_OK;
  if (request === undefined) {
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
  const status = mockStatus(templates, mapping, requestHeader);
  if (typeof status !== 'number') return status;
  return integrationReply(
    responses,
    { status, header: NO_HEADER, body: Buffer.alloc(0) },
    mapping,
    requestHeader,
    request,
  );
}
