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
  /** The part's content, a view of the body. */
  readonly content: Buffer;
  /** Why the part cannot be used, found from its header alone. */
  readonly problem: GatewayError | undefined;
}

/** The parts, and the body as busboy must read it. */
export interface ScannedBody {
  readonly parts: readonly RawPart[];
  /**
   * The body without RFC 2046 transport padding after its boundaries (which
   * busboy does not accept: it drops the part that follows); the body itself
   * when it has none.
   */
  readonly body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const FORM_DATA_HEADER = 'Part %d has no "Content-Disposition: form-data" header.';

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
const BARE_LF =
  'The multipart body has LF line endings; multipart/form-data needs CRLF line endings after each boundary and header line (RFC 2046 section 5.1.1, RFC 7578).';

/**
 * Walks the body from boundary to boundary. Throws MALFORMED_MULTIPART for
 * what spoils the whole body (no closing boundary, LF line endings, text
 * after a boundary); a fault of one part (too many header lines, no or an
 * unparseable Content-Disposition, a Content-Transfer-Encoding) becomes that
 * part's `problem`.
 */
export function scanParts(body: Buffer, boundary: string, maxHeaderPairs: number): ScannedBody {
  const dashBoundary = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const parts: RawPart[] = [];
  const padding: Array<readonly [number, number]> = [];
  const seen = new Map<string, number>();
  // The first boundary may open the body without the CRLF in front.
  let position = body.subarray(0, dashBoundary.length).equals(dashBoundary)
    ? dashBoundary.length
    : afterDelimiter(body, delimiter, 0);
  if (position === -1) throw malformed(endProblem(body, boundary));
  for (;;) {
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
    if (lineEnd > position) padding.push([position, lineEnd]);
    const next = body.indexOf(delimiter, lineEnd);
    if (next === -1) throw malformed(endProblem(body.subarray(lineEnd), boundary));
    const headerEnd = body.indexOf(HEADER_END, lineEnd);
    const ordinal = parts.length;
    if (headerEnd === -1 || headerEnd + HEADER_END.length > next) {
      // busboy would read the next part's header as this one's.
      if (BARE_LF_IN.test(body.toString('latin1', lineEnd + 2, next))) throw malformed(BARE_LF);
      parts.push({
        ordinal,
        part: undefined,
        label: `Part ${ordinal + 1}`,
        name: undefined,
        disposition: undefined,
        content: body.subarray(next, next),
        problem: malformed(
          `Part ${ordinal + 1} has no empty line between its header and the next boundary.`,
        ),
      });
    } else {
      const block = headerEnd === lineEnd ? '' : body.toString('latin1', lineEnd + 2, headerEnd);
      if (BARE_LF_IN.test(block)) throw malformed(BARE_LF);
      const content = body.subarray(headerEnd + HEADER_END.length, next);
      parts.push(readPart(ordinal, block, content, maxHeaderPairs, seen));
    }
    position = next + delimiter.length;
  }
  return { parts, body: padding.length === 0 ? body : withoutPadding(body, padding) };
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
}

/** Header lines as busboy reads them: `name:` then the value, folded lines appended whole. */
function readHeaders(block: string): Headers {
  const first = new Map<string, string>();
  let lines = 0;
  let current: { name: string; value: string } | undefined;
  const keep = () => {
    if (current !== undefined && !first.has(current.name)) first.set(current.name, current.value);
  };
  for (const line of block === '' ? [] : block.split('\r\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (current !== undefined) current.value += line;
      continue;
    }
    keep();
    lines++;
    const colon = line.indexOf(':');
    // A line busboy cannot read fails its parse as a whole ("Malformed part header").
    current =
      colon <= 0
        ? undefined
        : {
            name: line.slice(0, colon).toLowerCase(),
            value: line.slice(colon + 1).replace(/^[ \t]+/, ''),
          };
  }
  keep();
  return { lines, first };
}

function readPart(
  ordinal: number,
  block: string,
  content: Buffer,
  maxHeaderPairs: number,
  seen: Map<string, number>,
): RawPart {
  const position = `Part ${ordinal + 1}`;
  const unnamed = (problem: GatewayError): RawPart => ({
    ordinal,
    part: undefined,
    label: position,
    name: undefined,
    disposition: undefined,
    content,
    problem,
  });
  const headers = readHeaders(block);
  if (headers.lines > maxHeaderPairs) {
    return unnamed(
      new GatewayError(
        'TOO_MANY_PART_HEADERS',
        `${position} has ${headers.lines} header lines; the limit is ${maxHeaderPairs}.`,
      ),
    );
  }
  const value = headers.first.get('content-disposition');
  const parsed = value === undefined ? undefined : parseDisposition(value);
  if (parsed === undefined || ('type' in parsed && parsed.type !== 'form-data')) {
    return unnamed(malformed(FORM_DATA_HEADER.replace('%d', String(ordinal + 1))));
  }
  if ('reason' in parsed && !parsed.params.has('name')) {
    return unnamed(
      malformed(
        `${position} has a Content-Disposition header that cannot be parsed: ${parsed.reason}.`,
      ),
    );
  }
  // From here the field name is known (a fault after it was read still names it).
  const name = parsed.params.get('name') ?? '';
  const index = seen.get(name) ?? 0;
  seen.set(name, index + 1);
  const part = `${name}[${index}]`;
  const named = (problem: string): RawPart => ({
    ordinal,
    part,
    label: part,
    name: name || undefined,
    disposition: undefined,
    content,
    problem: malformed(problem, part),
  });
  if ('reason' in parsed) {
    return named(
      `${part} has a Content-Disposition header that cannot be parsed: ${parsed.reason}.`,
    );
  }
  const encoding = headers.first.get('content-transfer-encoding')?.trim();
  if (encoding !== undefined && !IDENTITY_ENCODINGS.has(encoding.toLowerCase())) {
    return named(
      `${part} has Content-Transfer-Encoding: ${encoding}, which is not supported (RFC 7578 section 4.7 deprecates it); send the bytes as they are.`,
    );
  }
  return {
    ordinal,
    part,
    label: part,
    name: name || undefined,
    disposition: formDataPart(parsed.params),
    content,
    problem: undefined,
  };
}

/** The body with the byte ranges in `cuts` (ascending, disjoint) left out. */
function withoutPadding(body: Buffer, cuts: ReadonlyArray<readonly [number, number]>): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    pieces.push(body.subarray(from, start));
    from = end;
  }
  pieces.push(body.subarray(from));
  return Buffer.concat(pieces);
}
