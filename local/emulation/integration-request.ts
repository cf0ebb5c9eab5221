/**
 * The request side of an AWS (non-proxy) integration: the service path with
 * stage variables substituted, the integration request headers mapped from
 * the method request, and the body (payload conversion, request template,
 * passthrough behaviour).
 */
import type { ContentHandling, PassthroughBehavior } from './api-model.ts';
import { integrationRequestPayload, NOT_BASE64 } from './content-handling.ts';
import { type HeaderLookup, type MappingContext, mapParameter } from './mapping.ts';
import type { Fault } from './reply.ts';
import { evaluateTemplate, VtlError } from './vtl.ts';

const HEADER_PREFIX = 'integration.request.header.';
const STAGE_VARIABLE = /\{stageVariables\.([A-Za-z0-9_]+)\}|\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;

/**
 * The integration's path with `{stageVariables.x}` and `${stageVariables.x}`
 * replaced by the stage's values, URL-encoded (an unset variable is empty).
 */
export function integrationPath(
  path: string,
  stageVariables: Readonly<Record<string, string>>,
): string {
  return path.replace(STAGE_VARIABLE, (_, braced?: string, dollar?: string) =>
    encodeURIComponent(stageVariables[braced ?? dollar ?? ''] ?? ''),
  );
}

/**
 * The `integration.request.header.*` mappings evaluated against the method
 * request; a mapping whose source is absent sends no header.
 */
export function integrationRequestHeaders(
  requestParameters: Readonly<Record<string, string>>,
  mapping: MappingContext,
  requestHeader: HeaderLookup,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, expression] of Object.entries(requestParameters)) {
    if (!key.startsWith(HEADER_PREFIX)) continue;
    const value = mapParameter(expression, mapping, requestHeader);
    if (value !== undefined) headers[key.slice(HEADER_PREFIX.length)] = value;
  }
  return headers;
}

/** What the integration request needs of the method request's payload. */
export interface PayloadRequest {
  readonly body: Buffer;
  /** The method request's Content-Type; application/json when absent, as API Gateway assumes. */
  readonly contentType: string | undefined;
  readonly binaryMediaTypes: readonly string[];
  readonly mapping: MappingContext;
  /** The method request's headers, for `$input.params()` in a request template. */
  readonly header: HeaderLookup;
}

const UNSUPPORTED: Fault = { fault: 'UNSUPPORTED_MEDIA_TYPE' };
const CONFIGURATION_ERROR: Fault = { fault: 'API_CONFIGURATION_ERROR' };

/** The media type without parameters, lower case. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The integration request body: the payload converted as contentHandling
 * says, then the request template for its content type, or passed through
 * as the passthrough behaviour allows (else UNSUPPORTED_MEDIA_TYPE, 415).
 * Source: API Gateway developer guide, "Integration passthrough behaviors".
 */
export function integrationRequestBody(
  integration: {
    readonly requestTemplates?: Readonly<Record<string, string>>;
    readonly passthroughBehavior?: PassthroughBehavior;
    readonly contentHandling?: ContentHandling;
  },
  request: PayloadRequest,
): Buffer | Fault {
  const templates = integration.requestTemplates ?? {};
  const type = mediaType(request.contentType);
  const template = Object.entries(templates).find(([key]) => key.toLowerCase() === type)?.[1];
  const behavior = integration.passthroughBehavior ?? 'WHEN_NO_MATCH';
  if (template === undefined) {
    const refused =
      behavior === 'NEVER' ||
      (behavior === 'WHEN_NO_TEMPLATES' && Object.keys(templates).length > 0);
    if (refused) return UNSUPPORTED;
  }
  const payload = integrationRequestPayload(
    request.body,
    request.contentType,
    request.binaryMediaTypes,
    integration.contentHandling,
  );
  if (payload === NOT_BASE64) return CONFIGURATION_ERROR;
  if (template === undefined) return payload;
  try {
    const { output } = evaluateTemplate(template, request.mapping, {
      body: payload.toString('utf8'),
      header: request.header,
    });
    return Buffer.from(output);
  } catch (error) {
    if (error instanceof VtlError) return CONFIGURATION_ERROR;
    throw error;
  }
}
