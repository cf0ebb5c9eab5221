/**
 * Validates responses against the OpenAPI document itself (not the zod
 * schemas it was generated from): the response object of the route and
 * status (or its `4XX` range), the media type, and the body against the
 * document's JSON Schema, converted by zod's `fromJSONSchema` once its
 * `$ref`s are inlined. So a response the document does not describe fails
 * whatever the code believes.
 */
import { z } from 'zod';
import { buildOpenApiDocument } from '../shared/openapi.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const document = buildOpenApiDocument() as unknown as JsonObject;

function at(value: Json | undefined, ...keys: string[]): Json | undefined {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The schema with every `#/components/schemas/X` reference replaced by X (no recursion here). */
function inline(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(inline);
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    const target = at(document, 'components', 'schemas', name);
    if (target === undefined) throw new Error(`The document has no schema ${ref}`);
    return inline(target);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inline(value)]));
}

const validators = new Map<string, z.ZodType>();

/** A response as the client sees it. */
export interface ContractResponse {
  readonly status: number;
  /** The Content-Type header (parameters ignored). */
  readonly contentType: string | undefined;
  readonly body: string;
}

/**
 * Why `response` does not match the document's description of `route`, or
 * undefined when it does. Bodies of `*\/*` responses (the model's answer on
 * `/invocations`) are not checked.
 */
export function contractViolation(
  route: 'predict' | 'invocations',
  response: ContractResponse,
): string | undefined {
  const responses = at(document, 'paths', `/{stage}/${route}`, 'post', 'responses');
  const key =
    at(responses, String(response.status)) !== undefined
      ? String(response.status)
      : `${String(response.status)[0]}XX`;
  const described = at(responses, key);
  if (described === undefined) return `${route} documents no ${response.status} response`;
  const mediaType = response.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const content = at(described, 'content');
  const schema = at(content, mediaType) ?? at(content, '*/*');
  if (schema === undefined) {
    return `${route} ${response.status} documents no ${mediaType || 'missing'} content`;
  }
  if (at(content, mediaType) === undefined) return undefined;
  const id = `${route} ${key} ${mediaType}`;
  let validator = validators.get(id);
  if (validator === undefined) {
    validator = z.fromJSONSchema(inline(at(schema, 'schema') ?? {}) as never);
    validators.set(id, validator);
  }
  let body: unknown = response.body;
  if (/[/+]json$/.test(mediaType)) {
    try {
      body = JSON.parse(response.body);
    } catch {
      return `${route} ${response.status}: the body is not JSON`;
    }
  }
  const parsed = validator.safeParse(body);
  return parsed.success
    ? undefined
    : `${route} ${response.status} does not match the document: ${z.prettifyError(parsed.error)}`;
}

/** Throws when `response` does not match the document. */
export function assertContract(route: 'predict' | 'invocations', response: ContractResponse): void {
  const violation = contractViolation(route, response);
  if (violation !== undefined) throw new Error(violation);
}
