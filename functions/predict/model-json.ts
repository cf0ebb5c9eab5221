import { GatewayError } from '#shared/errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** True when arrays and objects in `json` (JSON text) nest deeper than `max`; no recursion. */
function nestsDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Python's json module and TF Serving write these bare tokens for IEEE values JSON lacks. */
const NON_FINITE = /-?Infinity|NaN/y;

/**
 * `text` with every bare NaN, Infinity and -Infinity outside strings
 * replaced by null, and how many there were.
 */
function nullNonFinite(text: string): { text: string; count: number } {
  let out = '';
  let from = 0;
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++;
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) {
      inString = true;
      continue;
    }
    if (code === 0x2d || code === 0x49 || code === 0x4e) {
      NON_FINITE.lastIndex = i;
      const match = NON_FINITE.exec(text);
      if (match !== null) {
        out += `${text.slice(from, i)}null`;
        i += match[0].length - 1;
        from = i + 1;
        count++;
      }
    }
  }
  return { text: out + text.slice(from), count };
}

/**
 * Parses the model's answer as JSON, tolerating the non-standard NaN,
 * Infinity and -Infinity (read as null, and counted).
 * @throws BAD_MODEL_OUTPUT when it is not UTF-8 JSON, or nests deeper than `maxDepth`
 */
export function parseTolerantJson(
  body: Uint8Array,
  maxDepth: number,
): { value: unknown; nonFinite: number } {
  let text: string;
  let value: unknown;
  let nonFinite = 0;
  try {
    text = decoder.decode(body);
    try {
      value = JSON.parse(text);
    } catch (strict) {
      const relaxed = nullNonFinite(text);
      if (relaxed.count === 0) throw strict;
      text = relaxed.text;
      value = JSON.parse(text);
      nonFinite = relaxed.count;
    }
  } catch (cause) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      'The model answered with something that is not JSON.',
      { cause },
    );
  }
  if (nestsDeeperThan(text, maxDepth)) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      `The model answered with JSON nested more than ${maxDepth} levels deep; the gateway passes at most ${maxDepth} on.`,
    );
  }
  return { value, nonFinite };
}
