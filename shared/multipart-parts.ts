/**
 * The parts of a multipart/form-data body, found by walking the raw bytes
 * (RFC 2046 section 5.1.1): where each part's header and content are, what
 * its Content-Disposition says, and what is wrong with it. The parser
 * (multipart.ts) holds busboy's callbacks against this list, so a part
 * busboy skips without a word is still named in an error.
 */
import { type FormDataPart, formDataPart, parseDisposition } from './content-disposition.ts';
import { GatewayError } from './errors.ts';

/** One part of the body, in body order. */
export interface RawPart {
  /** Position in the body, from 0. */
  readonly ordinal: number;
  /** `field[n]` (the n-th part of that field, from 0) when the field name can be read. */
  readonly part: string | undefined;
  /** How messages name the part: `part`, else `Part N` (from 1). */
  readonly label: string;
  /** The field name as busboy reports it: undefined when absent, empty or unreadable. */
  readonly name: string | undefined;
  /** What the Content-Disposition says, with busboy's semantics (undefined when unparseable). */
  readonly disposition: FormDataPart | undefined;
  /**
   * Whether busboy delivers the part (a file or field event). It does not
   * when the part has no form-data Content-Disposition or one busboy cannot
   * parse (it skips the part without a word), nor when it cannot read the
   * header (it fails the body).
   */
  readonly delivered: boolean;
  /** The part's content, a view of the body. */
  readonly content: Buffer;
  /**
   * Whether the body busboy reads leaves this part's content out: a file
   * part it delivers, whose bytes are `content` (busboy would only search
   * them for the boundary again, and copy them).
   */
  readonly elided: boolean;
  /** Why the part cannot be used, found from its header alone. */
  readonly problem: GatewayError | undefined;
}

/** The parts, and the body as busboy must read it. */
export interface ScannedBody {
  readonly parts: readonly RawPart[];
  /**
   * The body busboy reads: without RFC 2046 transport padding after its
   * boundaries (which busboy does not accept: it drops the part that
   * follows), and without the content of the parts marked `elided`, so the
   * bytes of a large upload are searched once, here. Headers, fields and
   * boundaries are as sent.
   */
  readonly body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** busboy's limit on one part's header, blank line included ("Malformed part header" past it). */
const MAX_HEADER_BYTES = 16 * 1024;
const noFormDataHeader = (position: string) =>
  `${position} has no "Content-Disposition: form-data" header.`;

/**
 * Content-Transfer-Encoding values that leave the bytes as they are. RFC
 * 7578 section 4.7 deprecates the header; some HTTP clients still send these.
 */
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

const malformed = (detail: string, part?: string) =>
  new GatewayError('MALFORMED_MULTIPART', detail, part === undefined ? {} : { part });

const TRUNCATED =
  'The multipart body ends before its closing boundary (truncated upload, or a boundary that does not match the Content-Type).';
const BARE_LF_IN = /(^|[^\r])\n/;
/** Header lines then an empty line, whatever the line endings. */
const LF_HEADER = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r?\n)+\r?\n/;
const BARE_LF =
  'The multipart body has LF line endings; multipart/form-data needs CRLF line endings after each boundary and header line (RFC 2046 section 5.1.1, RFC 7578).';

/** What the walk needs of the parser's limits. */
export interface ScanLimits {
  /** Parts the body may hold: the walk stops after one more. */
  readonly maxParts: number;
  /** Header lines per part. */
  readonly maxPartHeaderPairs: number;
}

/**
 * Walks the body from boundary to boundary, at most `maxParts + 1` parts
 * (one more shows the limit is passed; busboy reads no further). Throws
 * MALFORMED_MULTIPART for what spoils the whole body (no closing boundary,
 * LF line endings, text after a boundary); a fault of one part (too many
 * header lines, a header busboy cannot read, no or an unparseable
 * Content-Disposition, a Content-Transfer-Encoding) becomes its `problem`.
 * Linear in the body's length.
 */
export function scanParts(body: Buffer, boundary: string, limits: ScanLimits): ScannedBody {
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const parts: RawPart[] = [];
  // Byte ranges busboy does not read: transport padding, elided content.
  const cuts: Array<readonly [number, number]> = [];
  const seen = new Map<string, number>();
  // The first boundary may open the body without the CRLF in front.
  let position = body.subarray(0, dashBoundary.length).equals(dashBoundary)
    ? dashBoundary.length
    : afterDelimiter(body, delimiter, 0);
  if (position === -1) throw malformed(endProblem(body, boundary));
  while (parts.length <= limits.maxParts) {
    if (body[position] === 0x2d && body[position + 1] === 0x2d) break; // closing boundary
    let lineEnd = position;
    while (body[lineEnd] === 0x20 || body[lineEnd] === 0x09) lineEnd++; // transport padding
    if (body[lineEnd] !== 0x0d || body[lineEnd + 1] !== 0x0a) {
      if (body[lineEnd] === 0x0a) throw malformed(BARE_LF);
      if (lineEnd >= body.length - 1) throw malformed(TRUNCATED);
      const previous = parts.at(-1);
      throw previous === undefined
        ? malformed(
            'The first boundary line of the multipart body has text after the boundary; only spaces or tabs may follow it (or the boundary does not match the Content-Type).',
          )
        : malformed(
            `${previous.label} holds a line that starts with the boundary but is not a boundary line; the boundary must not occur in the content (RFC 2046 section 5.1.1).`,
            previous.part,
          );
    }
    if (lineEnd > position) cuts.push([position, lineEnd]);
    const next = body.indexOf(delimiter, lineEnd);
    if (next === -1) throw malformed(endProblem(body.subarray(lineEnd), boundary));
    // The header ends before the next boundary, or busboy reads the next part's header as this one's.
    const found = body.subarray(lineEnd, next).indexOf(HEADER_END);
    const headerEnd = found === -1 ? -1 : lineEnd + found;
    const ordinal = parts.length;
    if (headerEnd === -1) {
      const head = body.toString('latin1', lineEnd + 2, Math.min(next, lineEnd + MAX_HEADER_BYTES));
      const lines = LF_HEADER.exec(head)?.[0];
      if (lines !== undefined && BARE_LF_IN.test(lines)) throw malformed(BARE_LF);
      parts.push({
        ordinal,
        part: undefined,
        label: `Part ${ordinal + 1}`,
        name: undefined,
        disposition: undefined,
        delivered: false,
        content: body.subarray(next, next),
        elided: false,
        problem: malformed(
          `Part ${ordinal + 1} has no empty line between its header and the next boundary.`,
        ),
      });
    } else {
      const block = headerEnd === lineEnd ? '' : body.toString('latin1', lineEnd + 2, headerEnd);
      const contentStart = headerEnd + HEADER_END.length;
      const content = body.subarray(contentStart, next);
      const part = readPart(ordinal, block, content, limits.maxPartHeaderPairs, seen);
      if (part.elided && next > contentStart) cuts.push([contentStart, next]);
      parts.push(part);
    }
    position = next + delimiter.length;
  }
  return { parts, body: cuts.length === 0 ? body : without(body, cuts) };
}

/** Why a body has no (further) boundary: LF line endings, else truncation. */
function endProblem(rest: Buffer, boundary: string): string {
  const lfBoundary = Buffer.from(`\n--${boundary}`);
  const startsWithLf = rest.subarray(0, lfBoundary.length - 1).equals(lfBoundary.subarray(1));
  return startsWithLf || rest.includes(lfBoundary) ? BARE_LF : TRUNCATED;
}

function afterDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  const found = body.indexOf(delimiter, from);
  return found === -1 ? -1 : found + delimiter.length;
}

interface Headers {
  /** Header lines, folded continuations not counted. */
  readonly lines: number;
  /** Each header's first value, by lower-cased name. */
  readonly first: ReadonlyMap<string, string>;
  /** Why busboy cannot read the header (it then fails the whole body); undefined when it can. */
  readonly fault: string | undefined;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: HTAB, SP, visible ASCII and obs-text; busboy refuses any other byte.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is the point
const NOT_FIELD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

function valueFault(value: string): string | undefined {
  if (value.includes('\n')) return 'a line ends with LF alone; header lines end with CRLF';
  return NOT_FIELD_VALUE.test(value) ? 'a value holds a control character' : undefined;
}

/** Header lines as busboy reads them: `name:` then the value, folded lines appended whole. */
function readHeaders(block: string): Headers {
  const first = new Map<string, string>();
  let lines = 0;
  let fault: string | undefined;
  let current: { name: string; value: string } | undefined;
  const keep = () => {
    if (current !== undefined && !first.has(current.name)) first.set(current.name, current.value);
  };
  if (block.length + HEADER_END.length > MAX_HEADER_BYTES) {
    fault = `it is longer than ${MAX_HEADER_BYTES} bytes`;
  }
  for (const line of block === '' ? [] : block.split('\r\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current === undefined) fault ??= 'it starts with a folded line';
      else current.value += line;
      fault ??= valueFault(line);
      continue;
    }
    keep();
    lines++;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    if (!HEADER_NAME.test(name) || colon === -1) {
      fault ??= `the line ${JSON.stringify(line.slice(0, 24))} is not "Name: value"`;
      current = undefined;
      continue;
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+/, '');
    fault ??= valueFault(value);
    current = { name: name.toLowerCase(), value };
  }
  keep();
  return { lines, first, fault };
}

function readPart(
  ordinal: number,
  block: string,
  content: Buffer,
  maxHeaderPairs: number,
  seen: Map<string, number>,
): RawPart {
  const position = `Part ${ordinal + 1}`;
  const headers = readHeaders(block);
  const value = headers.first.get('content-disposition');
  const parsed = value === undefined ? undefined : parseDisposition(value);
  const formData = parsed?.type === 'form-data';
  const valid = formData && !('reason' in parsed) ? parsed : undefined;
  // The field name is known when the header was read up to it (a fault
  // after it still names the part); the n-th part of a field counts from 0.
  const name =
    formData && (valid !== undefined || parsed.params.has('name'))
      ? (parsed.params.get('name') ?? '')
      : undefined;
  let part: string | undefined;
  if (name !== undefined) {
    const index = seen.get(name) ?? 0;
    seen.set(name, index + 1);
    part = `${name}[${index}]`;
  }
  const label = part ?? position;
  const disposition = valid === undefined ? undefined : formDataPart(valid.params);
  const delivered = valid !== undefined && headers.fault === undefined;
  const result = (problem: GatewayError | undefined): RawPart => ({
    ordinal,
    part,
    label,
    name: name || undefined,
    disposition,
    delivered,
    content,
    elided: delivered && problem === undefined && disposition?.hasFilename === true,
    problem,
  });
  if (headers.lines > maxHeaderPairs) {
    // Named by position, as it always was: the limit guards reading the header at all.
    return {
      ...result(
        new GatewayError(
          'TOO_MANY_PART_HEADERS',
          `${position} has ${headers.lines} header lines; the limit is ${maxHeaderPairs}.`,
        ),
      ),
      part: undefined,
      label: position,
    };
  }
  const fail = (detail: string) => result(malformed(detail, part));
  if (headers.fault !== undefined) {
    return fail(`${label} has a header that cannot be parsed: ${headers.fault}.`);
  }
  if (!formData) return result(malformed(noFormDataHeader(position)));
  if ('reason' in parsed) {
    return fail(
      `${label} has a Content-Disposition header that cannot be parsed: ${parsed.reason}.`,
    );
  }
  const encoding = headers.first.get('content-transfer-encoding')?.trim();
  if (encoding !== undefined && !IDENTITY_ENCODINGS.has(encoding.toLowerCase())) {
    return fail(
      `${label} has Content-Transfer-Encoding: ${encoding}, which is not supported (RFC 7578 section 4.7 deprecates it); send the bytes as they are.`,
    );
  }
  return result(undefined);
}

/** The body with the byte ranges in `cuts` (ascending, disjoint) left out. */
function without(body: Buffer, cuts: ReadonlyArray<readonly [number, number]>): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    pieces.push(body.subarray(from, start));
    from = end;
  }
  pieces.push(body.subarray(from));
  return Buffer.concat(pieces);
}
