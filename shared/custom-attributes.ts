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
