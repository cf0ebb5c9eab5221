/**
 * Reading a synthesised CloudFormation template: resources by type, the
 * logical ids that `Ref` and `Fn::GetAtt` point at, and strings CDK renders
 * with `Fn::Join` (ARNs, URIs) resolved part by part.
 */

export type Json = Record<string, unknown>;

interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
}

/** `[logicalId, Properties]` of every resource of `type`, in template order. */
export function ofType(template: Json, type: string): Array<[string, Json]> {
  const resources = (template.Resources ?? {}) as Record<string, Resource>;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The type of the resource `id`, or undefined for a pseudo parameter or an unknown id. */
export function typeOf(template: Json, id: string): string | undefined {
  return ((template.Resources ?? {}) as Record<string, Resource>)[id]?.Type;
}

/** The logical id a `{Ref: id}` or `{Fn::GetAtt: [id, attr]}` points at. */
export function target(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Json;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every logical id referenced anywhere inside `value`. */
export function targets(value: unknown, found: string[] = []): string[] {
  const direct = target(value);
  if (direct !== undefined) found.push(direct);
  else if (Array.isArray(value)) for (const item of value) targets(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) targets(item, found);
  }
  return found;
}

/** One `Ref` or `Fn::GetAtt` met while resolving a string. */
export interface Reference {
  readonly id: string;
  /** The attribute of an `Fn::GetAtt`; undefined for a `Ref`. */
  readonly attribute?: string;
}

/**
 * The string `value` renders to: a literal, or an `Fn::Join` whose parts are
 * literals or references `resolve` turns into text. Undefined for anything
 * else (an intrinsic this reader does not evaluate).
 */
export function resolveString(
  value: unknown,
  resolve: (reference: Reference) => string,
): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Json;
  if (typeof v.Ref === 'string') return resolve({ id: v.Ref });
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
    return resolve({ id: getAtt[0], attribute: String(getAtt[1]) });
  }
  const join = v['Fn::Join'];
  if (!Array.isArray(join)) return undefined;
  const [separator, parts] = join as [unknown, unknown];
  if (typeof separator !== 'string' || !Array.isArray(parts)) return undefined;
  const rendered: string[] = [];
  for (const part of parts) {
    const text = resolveString(part, resolve);
    if (text === undefined) return undefined;
    rendered.push(text);
  }
  return rendered.join(separator);
}

/** The string-valued entries of an object (mappings, variables). */
export function strings(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries((value ?? {}) as Json).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/** A value that may be one item or a list of them (IAM's Action, Resource, ...). */
export function list<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}
