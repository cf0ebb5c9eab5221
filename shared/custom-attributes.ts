import { SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS } from './aws-facts.ts';
import { GatewayError } from './errors.ts';
import type { TextField } from './multipart.ts';

/** Attribute name under which the X-Client-Id header travels. */
export const CLIENT_ID_ATTRIBUTE = 'client-id';

/**
 * Builds the custom-attributes header value: `name=value` pairs joined by
 * `;`, each side percent-encoded so the value is always visible US-ASCII
 * and `;`/`=` inside a value cannot forge another pair. The model container
 * receives it unchanged. Undefined when there is nothing to send.
 */
export function buildCustomAttributes(
  clientId: string | undefined,
  fields: readonly TextField[],
): string | undefined {
  const pairs: string[] = [];
  if (clientId !== undefined) pairs.push(`${CLIENT_ID_ATTRIBUTE}=${encodeURIComponent(clientId)}`);
  for (const { name, value } of fields) {
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  if (pairs.length === 0) return undefined;
  const value = pairs.join(';');
  if (value.length > SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS) {
    throw new GatewayError(
      'CUSTOM_ATTRIBUTES_TOO_LONG',
      `The text fields and X-Client-Id encode to ${value.length} characters of custom attributes; SageMaker allows ${SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS}.`,
    );
  }
  return value;
}

/**
 * Reverses buildCustomAttributes: the pairs a model container reads.
 * @throws URIError when a name or value is not valid percent-encoding
 */
export function parseCustomAttributes(value: string): Array<[string, string]> {
  if (value === '') return [];
  return value.split(';').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const item = eq === -1 ? '' : pair.slice(eq + 1);
    return [decodeURIComponent(name), decodeURIComponent(item)];
  });
}

/**
 * The form fields a deployer lets through to the model (FORWARD_FIELDS,
 * context `forwardFields`): exact names, or prefixes written `name*`.
 * Containers route on custom attributes (TF Serving's `tfs-model-name`,
 * `tfs-method`), so nothing a client sends is forwarded unless named here.
 */
export interface FieldAllowlist {
  readonly names: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/**
 * A name of 1..256 characters without spaces, or a prefix followed by `*`
 * (`*` alone forwards every field, as the gateway did before the allowlist).
 */
const FIELD_PATTERN = /^(?:[^\s*]{1,256}|[^\s*]{0,256}\*)$/;

/** True when `entry` is a usable allowlist entry (a name, or a prefix ending in `*`). */
export function isFieldPattern(entry: string): boolean {
  return FIELD_PATTERN.test(entry);
}

/** The allowlist of `entries` (each checked with isFieldPattern by the config loader). */
export function fieldAllowlist(entries: readonly string[]): FieldAllowlist {
  return {
    names: new Set(entries.filter((entry) => !entry.endsWith('*'))),
    prefixes: entries.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1)),
  };
}

/** The fields the allowlist lets through, in the client's order (the same array when all pass). */
export function forwardedFields(
  fields: readonly TextField[],
  allow: FieldAllowlist,
): readonly TextField[] {
  if (fields.length === 0) return fields;
  const kept = fields.filter(
    ({ name }) => allow.names.has(name) || allow.prefixes.some((prefix) => name.startsWith(prefix)),
  );
  return kept.length === fields.length ? fields : kept;
}
