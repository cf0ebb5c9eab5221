/**
 * The response side of AWS and MOCK integrations: the integration response
 * chosen by the backend's status code, its `method.response.header.*`
 * mappings and its `application/json` template, run as VTL (vtl.ts) with
 * the status and headers it overrides applied.
 */
import type { IntegrationResponse } from './api-model.ts';
import { type HeaderLookup, type MappingContext, mapParameter } from './mapping.ts';
import type { Outcome, Reply } from './reply.ts';
import { evaluateTemplate, VtlError } from './vtl.ts';

const HEADER_PREFIX = 'method.response.header.';
const NO_HEADER: HeaderLookup = () => undefined;
const EMPTY_OK: Reply = { status: 200, headers: [], body: Buffer.alloc(0) };

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

/**
 * The method response: the selected integration response's status, its
 * header mappings, and its template rendered, or the backend's body passed
 * through unchanged when it has none. No integration response for the
 * status is a DEFAULT_5XX, as API Gateway answers; so is a template that
 * cannot run ("Execution failed due to configuration error").
 */
export function integrationReply(
  responses: readonly IntegrationResponse[],
  result: IntegrationResult,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): Outcome {
  const chosen = selectIntegrationResponse(responses, result.status);
  if (chosen === undefined) return { fault: 'DEFAULT_5XX' };
  const headers: Array<[string, string]> = [];
  for (const [key, expression] of Object.entries(chosen.responseParameters)) {
    if (!key.startsWith(HEADER_PREFIX)) continue;
    const value = mapParameter(expression, mapping, requestHeader, result.header);
    if (value !== undefined) headers.push([key.slice(HEADER_PREFIX.length), value]);
  }
  const template = chosen.responseTemplates['application/json'];
  if (template === undefined) return { status: chosen.statusCode, headers, body: result.body };
  let rendered: ReturnType<typeof evaluateTemplate>;
  try {
    rendered = evaluateTemplate(template, mapping, {
      body: result.body.toString('utf8'),
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

/**
 * A MOCK integration (the CORS preflight): its first integration response,
 * as if the mock had answered that response's status with no body; 200 and
 * nothing when it has none.
 */
export function mockReply(
  responses: readonly IntegrationResponse[],
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): Outcome {
  const [response] = responses;
  if (response === undefined) return EMPTY_OK;
  return integrationReply(
    [response],
    { status: response.statusCode, header: NO_HEADER, body: Buffer.alloc(0) },
    mapping,
    requestHeader,
  );
}
