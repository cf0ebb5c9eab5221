/**
 * The Content-Disposition header of one multipart/form-data part (RFC 7578
 * section 4.2, parameters as in RFC 6266 and RFC 8187), read exactly as
 * busboy reads it, so the gateway knows which parts busboy will skip (it
 * drops a part whose header it cannot parse without a word) and can name
 * them instead. Where busboy and the RFCs differ, busboy's reading wins:
 * it decides what the parser delivers.
 */

/** A parsed header: the disposition type and its parameters. */
export interface Disposition {
  /** Lower-cased, e.g. `form-data`. */
  readonly type: string;
  /** Lower-cased parameter names; the first occurrence of a name wins. */
  readonly params: ReadonlyMap<string, string>;
}

/** Why a header cannot be parsed, and what was read before the fault. */
export interface DispositionFault {
  /** A phrase for messages, e.g. `text follows the closing quote of filename`. */
  readonly reason: string;
  /** Lower-cased; empty when the header does not start with one. */
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

/** What a form-data part says about itself, with busboy's semantics. */
export interface FormDataPart {
  /** The field name; undefined when absent or empty (busboy's `name` is then undefined). */
  readonly name: string | undefined;
  /**
   * The file name as busboy reports it: `filename*` when non-empty, else
   * `filename`, reduced to its last path segment; undefined when neither
   * is present and non-empty.
   */
  readonly filename: string | undefined;
  /** True when the header has a `filename` or `filename*` parameter, even an empty one. */
  readonly hasFilename: boolean;
}

// RFC 9110 tchar; RFC 8187 mime-charsetc and attr-char.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const CHARSET = /^[!#$%&+\-^_`{}~0-9A-Za-z]$/;
const ATTR_CHAR = /^[!#$&+\-.^_`|~0-9A-Za-z]$/;

function isToken(char: string | undefined): boolean {
  return char !== undefined && TOKEN.test(char);
}

/** qdtext: HTAB, SP, visible ASCII but `"` and `\`, and obs-text (bytes 0x80-0xFF). */
function isQdtext(code: number): boolean {
  return (
    code === 0x09 ||
    code === 0x20 ||
    code === 0x21 ||
    (code >= 0x23 && code <= 0x5b) ||
    (code >= 0x5d && code <= 0x7e) ||
    (code >= 0x80 && code <= 0xff)
  );
}

function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/**
 * Parses a Content-Disposition value as busboy does (with `defParamCharset:
 * 'utf8'`). `value` is the header as received, one character per byte
 * (latin1); quoted and token values are decoded as UTF-8, `name*` values by
 * their declared charset. A fault is what makes busboy skip the part.
 */
export function parseDisposition(value: string): Disposition | DispositionFault {
  const params = new Map<string, string>();
  let i = 0;
  while (i < value.length && isToken(value[i])) i++;
  const type = value.slice(0, i).toLowerCase();
  const fault = (reason: string): DispositionFault => ({ reason, type, params });
  if (value.length === 0) return fault('it is empty');
  let previous = `the type ${JSON.stringify(value.slice(0, i))}`;
  while (i < value.length) {
    while (isSpace(value[i])) i++;
    if (i === value.length) break;
    if (value[i] !== ';') {
      return fault(`${previous} is followed by ${JSON.stringify(value.slice(i, i + 12))}`);
    }
    i++;
    while (isSpace(value[i])) i++;
    if (i === value.length) return fault('it ends with ";" and no parameter after it');
    const nameStart = i;
    while (i < value.length && isToken(value[i])) i++;
    const name = value.slice(nameStart, i);
    if (value[i] !== '=') {
      return fault(`parameter ${JSON.stringify(name || value.slice(i, i + 12))} has no "="`);
    }
    i++;
    let decoded: string;
    if (name.endsWith('*')) {
      const extended = readExtended(value, i, name);
      if ('reason' in extended) return fault(extended.reason);
      ({ decoded, end: i } = extended);
      previous = `the value of ${name}`;
    } else if (value[i] === '"') {
      const quoted = readQuoted(value, i + 1, name);
      if ('reason' in quoted) return fault(quoted.reason);
      decoded = utf8(quoted.raw);
      i = quoted.end;
      previous = `the closing quote of ${name} (escape a quote inside a value as \\")`;
      if (i < value.length && !isSpace(value[i]) && value[i] !== ';') {
        return fault(`text follows ${previous}`);
      }
    } else {
      const start = i;
      while (i < value.length && isToken(value[i])) i++;
      if (i === start) return fault(`parameter ${JSON.stringify(name)} has no value`);
      decoded = utf8(value.slice(start, i));
      previous = `the value of ${name}`;
    }
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, decoded);
  }
  return { type, params };
}

/** A quoted-string from just after its opening quote: only `\"` and `\\` are escapes. */
function readQuoted(
  value: string,
  from: number,
  name: string,
): { raw: string; end: number } | { reason: string } {
  let raw = '';
  for (let i = from; i < value.length; i++) {
    const char = value[i] as string;
    if (char === '"') return { raw, end: i + 1 };
    if (char === '\\' && (value[i + 1] === '"' || value[i + 1] === '\\')) {
      raw += value[i + 1];
      i++;
      continue;
    }
    // busboy keeps any other backslash as it is (Windows paths from old browsers).
    if (char !== '\\' && !isQdtext(char.charCodeAt(0))) {
      return { reason: `the quoted value of ${name} holds a control character` };
    }
    raw += char;
  }
  return { reason: `the quoted value of ${name} has no closing quote` };
}

/** RFC 8187 `charset'language'value` from just after the `=`. */
function readExtended(
  value: string,
  from: number,
  name: string,
): { decoded: string; end: number } | { reason: string } {
  const malformed = { reason: `${name} is not charset'language'percent-encoded-value` };
  let i = from;
  while (i < value.length && CHARSET.test(value[i] as string)) i++;
  if (value[i] !== "'") return malformed;
  const charset = value.slice(from, i);
  i = value.indexOf("'", i + 1);
  if (i === -1 || i + 1 === value.length) return malformed;
  i++;
  let bytes = '';
  let start = i;
  let nonAscii = false;
  for (; i < value.length; i++) {
    const char = value[i] as string;
    if (ATTR_CHAR.test(char)) continue;
    if (char !== '%') break;
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      return {
        reason: `${name} has an invalid percent-encoding ${JSON.stringify(value.slice(i, i + 3))}`,
      };
    }
    const byte = Number.parseInt(hex, 16);
    if (byte >= 0x80) nonAscii = true;
    bytes += value.slice(start, i) + String.fromCharCode(byte);
    i += 2;
    start = i + 1;
  }
  bytes += value.slice(start, i);
  const decoded = decodeCharset(bytes, charset, nonAscii);
  if (decoded === undefined) {
    return {
      reason: `${name} names the charset ${JSON.stringify(charset)}, which is not supported`,
    };
  }
  return { decoded, end: i };
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** busboy's charset table: UTF-8, the Latin-1 family, UTF-16LE, and base64. */
function decodeCharset(bytes: string, charset: string, nonAscii: boolean): string | undefined {
  if (bytes.length === 0) return '';
  switch (charset.toLowerCase()) {
    case 'utf-8':
    case 'utf8':
      return nonAscii ? utf8(bytes) : bytes;
    case 'latin1':
    case 'ascii':
    case 'us-ascii':
    case 'iso-8859-1':
    case 'iso8859-1':
    case 'iso88591':
    case 'iso_8859-1':
    case 'windows-1252':
    case 'iso_8859-1:1987':
    case 'cp1252':
    case 'x-cp1252':
      return bytes;
    case 'utf16le':
    case 'utf-16le':
    case 'ucs2':
    case 'ucs-2':
      return Buffer.from(bytes, 'latin1').toString('utf16le');
    case 'base64':
      return Buffer.from(bytes, 'latin1').toString('base64');
    default:
      // busboy hands other charsets to TextDecoder through an arrow function
      // that loses the charset, so it refuses them all (busboy 1.6).
      return undefined;
  }
}

/** The last segment of a path, as busboy reduces file names (`.` and `..` become empty). */
function basename(path: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const last = path.slice(cut + 1);
  return last === '.' || last === '..' ? '' : last;
}

/** Name and file name of a form-data part, from its parsed parameters. */
export function formDataPart(params: ReadonlyMap<string, string>): FormDataPart {
  const extended = params.get('filename*');
  const plain = params.get('filename');
  const filename = extended ? extended : plain ? plain : undefined;
  return {
    name: params.get('name') || undefined,
    filename: filename === undefined ? undefined : basename(filename),
    hasFilename: extended !== undefined || plain !== undefined,
  };
}
