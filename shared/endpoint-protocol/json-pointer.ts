/**
 * JSON Pointer (RFC 6901): `/predictions/0/probabilities` names a value
 * inside a JSON document; `~1` stands for `/` and `~0` for `~` in a token.
 * The empty pointer names the whole document.
 */

/** True when `value` is a JSON Pointer's syntax: empty, or `/`-prefixed tokens with valid `~` escapes. */
export function isJsonPointer(value: string): boolean {
  return value === '' || (value.startsWith('/') && !/~[^01]|~$/.test(value));
}

/**
 * The reference tokens of `pointer`, unescaped, parsed once so a lookup per
 * request does no string work.
 * @throws TypeError when `pointer` is not a JSON Pointer
 */
export function parseJsonPointer(pointer: string): readonly string[] {
  if (!isJsonPointer(pointer))
    throw new TypeError(`${JSON.stringify(pointer)} is not a JSON Pointer`);
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The value `tokens` (from parseJsonPointer) name in `document`, or
 * undefined when a step does not exist. Array steps are decimal indexes
 * without leading zeros, as RFC 6901 section 4 says.
 */
export function resolveJsonPointer(document: unknown, tokens: readonly string[]): unknown {
  let value = document;
  for (const token of tokens) {
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      value = value[Number(token)];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return value;
}
