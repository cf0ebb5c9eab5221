import busboy from 'busboy';
import { IMAGE_FIELD } from './contract.ts';
import { GatewayError } from './errors.ts';

/**
 * What one multipart body may hold. busboy defaults most limits to
 * Infinity, so the caller must set every one.
 */
export interface MultipartLimits {
  /** Files in the body. */
  readonly maxFiles: number;
  /** Bytes per file. */
  readonly maxFileBytes: number;
  /** Text fields in the body. */
  readonly maxFields: number;
  /** Bytes per text field. */
  readonly maxFieldBytes: number;
  /** Parts (files and fields). */
  readonly maxParts: number;
  /** Header lines per part. */
  readonly maxPartHeaderPairs: number;
}

/** One uploaded image file, in upload order. */
export interface UploadedImage {
  /** `image[n]`: the n-th image of the upload, as errors name it. */
  readonly part: string;
  readonly field: string;
  readonly filename: string | null;
  readonly bytes: Buffer;
}

/** A text field, forwarded to the model as a custom attribute. */
export interface TextField {
  readonly name: string;
  readonly value: string;
}

export interface Upload {
  readonly images: readonly UploadedImage[];
  readonly fields: readonly TextField[];
}

/**
 * Parses a complete multipart/form-data body. Every busboy limit is set
 * (busboy defaults most to Infinity), and hitting one is an error, never a
 * silently shortened upload.
 */
export function parseMultipart(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits,
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    // Busboy skips parts without a form-data Content-Disposition and does not
    // enforce `headerPairs` for multipart, both silently; check them first.
    // (A throw here rejects the promise.)
    checkPartHeaders(body, boundary, limits.maxPartHeaderPairs);
    const images: UploadedImage[] = [];
    const fields: TextField[] = [];
    const seen = new Map<string, number>();
    let failure: GatewayError | undefined;
    const failWith = (error: GatewayError) => {
      failure ??= error;
    };
    const partName = (name: string) => {
      const index = seen.get(name) ?? 0;
      seen.set(name, index + 1);
      return `${name}[${index}]`;
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
        defParamCharset: 'utf8',
        limits: {
          // Busboy flags a value of exactly the limit as truncated, so give
          // it one byte more and let one byte past our limit be the signal.
          fileSize: limits.maxFileBytes + 1,
          fieldSize: limits.maxFieldBytes + 1,
          files: limits.maxFiles,
          fields: limits.maxFields,
          // Busboy also signals the limit when the last allowed part ends.
          parts: limits.maxParts + 1,
          fieldNameSize: 200,
        },
      });
    } catch (cause) {
      reject(
        new GatewayError('MALFORMED_MULTIPART', 'The multipart body cannot be parsed.', { cause }),
      );
      return;
    }

    parser.on('file', (name, stream, info) => {
      const field = name ?? '';
      const part = partName(field);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('error', () => {
        // Reported once through the parser's own error event.
      });
      stream.on('end', () => {
        const filename = info.filename === undefined || info.filename === '' ? null : info.filename;
        const named = filename === null ? part : `${part} (${filename})`;
        if (field !== IMAGE_FIELD) {
          failWith(
            new GatewayError(
              'UNEXPECTED_FILE_FIELD',
              `File field ${JSON.stringify(field)} is not accepted; send images in the field "${IMAGE_FIELD}".`,
              { part },
            ),
          );
        } else if (size > limits.maxFileBytes) {
          failWith(
            new GatewayError(
              'FILE_TOO_LARGE',
              `${named} is larger than the limit of ${limits.maxFileBytes} bytes per file.`,
              { part },
            ),
          );
        } else if (size === 0) {
          failWith(new GatewayError('EMPTY_FILE', `${named} is empty.`, { part }));
        } else if (failure === undefined) {
          images.push({
            part,
            field,
            filename,
            bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
          });
        }
      });
    });

    parser.on('field', (name, value, info) => {
      const part = partName(name);
      if (name === IMAGE_FIELD) {
        failWith(
          new GatewayError(
            'IMAGE_NOT_A_FILE',
            `Field "${IMAGE_FIELD}" must be a file upload (curl -F ${IMAGE_FIELD}=@photo.jpg), not text.`,
            { part },
          ),
        );
      } else if (info.valueTruncated) {
        failWith(
          new GatewayError(
            'FIELD_TOO_LARGE',
            `Field ${JSON.stringify(name)} is larger than the limit of ${limits.maxFieldBytes} bytes per field.`,
            { part },
          ),
        );
      } else {
        fields.push({ name, value });
      }
    });

    parser.on('filesLimit', () =>
      failWith(
        new GatewayError(
          'TOO_MANY_FILES',
          `The upload has more than ${limits.maxFiles} files, the limit per request.`,
        ),
      ),
    );
    parser.on('fieldsLimit', () =>
      failWith(
        new GatewayError(
          'TOO_MANY_FIELDS',
          `The upload has more than ${limits.maxFields} text fields, the limit per request.`,
        ),
      ),
    );
    parser.on('partsLimit', () =>
      failWith(
        new GatewayError(
          'TOO_MANY_PARTS',
          `The upload has more than ${limits.maxParts} parts, the limit per request.`,
        ),
      ),
    );
    parser.on('error', (cause: unknown) => {
      reject(
        failure ??
          new GatewayError('MALFORMED_MULTIPART', multipartProblem(cause), {
            cause,
          }),
      );
    });
    parser.on('close', () => {
      if (failure !== undefined) {
        reject(failure);
      } else if (images.length === 0) {
        reject(
          new GatewayError(
            'NO_IMAGE',
            `The upload has no image; send one or more files in the field "${IMAGE_FIELD}".`,
          ),
        );
      } else {
        resolve({ images, fields });
      }
    });
    parser.end(body);
  });
}

function multipartProblem(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : '';
  if (message === 'Unexpected end of form') {
    return 'The multipart body ends before its closing boundary (truncated upload, or a boundary that does not match the Content-Type).';
  }
  if (message === 'Malformed part header') {
    return 'A part of the multipart body has a malformed or oversized header.';
  }
  return 'The multipart body cannot be parsed.';
}

const HEADER_END = Buffer.from('\r\n\r\n');
const FORM_DATA_DISPOSITION = /^content-disposition[ \t]*:[ \t]*form-data[ \t]*(;|$)/i;

/**
 * Walks the part headers (a cheap indexOf scan; busboy still does the real
 * parse) to refuse parts with too many header lines or without
 * `Content-Disposition: form-data`, which busboy would silently drop.
 * Structural errors are left for busboy to report.
 */
export function checkPartHeaders(body: Buffer, boundary: string, maxPairs: number): void {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may open the body without the CRLF in front.
  let position = body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))
    ? delimiter.length - 2
    : afterDelimiter(body, delimiter, 0);
  let index = 0;
  while (position !== -1 && position < body.length) {
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return; // closing delimiter
    let lineStart = position;
    while (body[lineStart] === 0x20 || body[lineStart] === 0x09) lineStart++; // transport padding
    if (body[lineStart] !== 0x0d || body[lineStart + 1] !== 0x0a) {
      // Not a delimiter line after all (busboy treats it as data): keep looking.
      position = afterDelimiter(body, delimiter, position);
      continue;
    }
    const headerStart = lineStart + 2;
    const headerEnd = body.indexOf(HEADER_END, lineStart);
    if (headerEnd === -1) return; // truncated: busboy reports it
    const block = headerEnd < headerStart ? '' : body.toString('latin1', headerStart, headerEnd);
    const lines = block === '' ? [] : block.split('\r\n').filter((line) => !/^[ \t]/.test(line));
    if (lines.length > maxPairs) {
      throw new GatewayError(
        'TOO_MANY_PART_HEADERS',
        `Part ${index + 1} has ${lines.length} header lines; the limit is ${maxPairs}.`,
      );
    }
    if (!lines.some((line) => FORM_DATA_DISPOSITION.test(line))) {
      throw new GatewayError(
        'MALFORMED_MULTIPART',
        `Part ${index + 1} has no "Content-Disposition: form-data" header.`,
      );
    }
    position = afterDelimiter(body, delimiter, Math.max(headerEnd + 4, headerStart));
    index++;
  }
}

function afterDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  const found = body.indexOf(delimiter, from);
  return found === -1 ? -1 : found + delimiter.length;
}
