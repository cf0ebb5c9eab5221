/**
 * The request side of an AWS (non-proxy) integration: the service path with
 * stage variables substituted, and the integration request headers mapped
 * from the method request.
 */
import { type HeaderLookup, type MappingContext, mapParameter } from './mapping.ts';

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
