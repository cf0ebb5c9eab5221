import busboy from 'busboy';
import { IMAGE_FIELD } from './contract.ts';
import { GatewayError } from './errors.ts';
import { type RawPart, scanParts } from './multipart-parts.ts';

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
  /** `image[n]`: the n-th part of the field `image` (from 0), as errors name it. */
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

/** The error of the part earliest in the body wins; on a tie, the first reported. */
class FirstFailure {
  private ordinal = Number.POSITIVE_INFINITY;
  error: GatewayError | undefined;

  add(ordinal: number, error: GatewayError): void {
    if (ordinal < this.ordinal) {
      this.ordinal = ordinal;
      this.error = error;
    }
  }
}

/**
 * A part busboy did not deliver as the raw walk found it: skipped, or with
 * other bytes. Not expected (the walk reads headers as busboy does); the
 * check keeps a disagreement from dropping a part silently.
 */
function unread(part: RawPart): GatewayError {
  return new GatewayError(
    'MALFORMED_MULTIPART',
    `${part.label} could not be read from the multipart body; check its Content-Disposition header.`,
    part.part === undefined ? {} : { part: part.part },
  );
}

/**
 * Parses a complete multipart/form-data body. Every part is either used or
 * named in an error: the parts are first found from the raw bytes
 * (multipart-parts.ts), and each of busboy's callbacks must match the next
 * one, so a part busboy skips silently (an unparseable Content-Disposition)
 * is reported as MALFORMED_MULTIPART with its `part`. Limits are errors,
 * never a silently shortened upload. A file part with an empty file name
 * and no bytes is what browsers send for an empty file input: no file.
 * When several parts are wrong, the one earliest in the body is reported.
 */
export function parseMultipart(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits,
): Promise<Upload> {
  return new Promise((resolve, reject) => {
    // A throw here (the body as a whole is malformed) rejects the promise.
    const scanned = scanParts(body, boundary, limits);
    const { parts } = scanned;
    const images: Array<{ readonly ordinal: number; readonly image: UploadedImage }> = [];
    const fields: TextField[] = [];
    const failures = new FirstFailure();
    let next = 0;
    let files = 0;
    let textFields = 0;

    // The first part past the limit is refused for being one too many.
    if (parts.length > limits.maxParts) {
      failures.add(
        limits.maxParts,
        new GatewayError(
          'TOO_MANY_PARTS',
          `The upload has more than ${limits.maxParts} parts, the limit per request.`,
        ),
      );
    }
    // A part whose header alone shows it unusable fails the upload, whatever busboy does with it.
    for (const part of parts) {
      if (part.problem !== undefined) failures.add(part.ordinal, part.problem);
    }
    /** Passes over a part busboy did not deliver: fine when its problem is known, else named. */
    const passOver = (part: RawPart) => {
      if (part.problem === undefined) failures.add(part.ordinal, unread(part));
    };
    /** The raw part busboy is delivering: the next deliverable one, which must have that name. */
    const claim = (name: string | undefined): RawPart | undefined => {
      while (next < parts.length) {
        const part = parts[next++] as RawPart;
        if (part.delivered && (part.name ?? '') === (name ?? '')) return part;
        passOver(part);
      }
      failures.add(
        parts.length,
        new GatewayError(
          'MALFORMED_MULTIPART',
          `Part ${parts.length + 1} could not be read from the multipart body.`,
        ),
      );
      return undefined;
    };

    /** A file's bytes as the raw walk found them, cut as busboy cuts a file (one byte past the limit). */
    const walkedFile = (part: RawPart) => part.content.subarray(0, limits.maxFileBytes + 1);

    const acceptFile = (part: RawPart, bytes: Buffer) => {
      const fail = (error: GatewayError) => failures.add(part.ordinal, error);
      if (part.problem !== undefined) return; // already the failure of its position
      const filename = part.disposition?.filename || null;
      if (part.disposition?.hasFilename && filename === null && part.content.length === 0) {
        return; // an empty file input: no file was chosen
      }
      if (++files > limits.maxFiles) {
        return fail(
          new GatewayError(
            'TOO_MANY_FILES',
            `The upload has more than ${limits.maxFiles} files, the limit per request.`,
          ),
        );
      }
      if (bytes.length !== Math.min(part.content.length, limits.maxFileBytes + 1)) {
        return fail(unread(part));
      }
      const field = part.name ?? '';
      const named = filename === null ? part.label : `${part.label} (${filename})`;
      if (field !== IMAGE_FIELD) {
        fail(
          new GatewayError(
            'UNEXPECTED_FILE_FIELD',
            `File field ${JSON.stringify(field)} is not accepted; send images in the field "${IMAGE_FIELD}".`,
            { part: part.label },
          ),
        );
      } else if (bytes.length > limits.maxFileBytes) {
        fail(
          new GatewayError(
            'FILE_TOO_LARGE',
            `${named} is larger than the limit of ${limits.maxFileBytes} bytes per file.`,
            { part: part.label },
          ),
        );
      } else if (bytes.length === 0) {
        fail(new GatewayError('EMPTY_FILE', `${named} is empty.`, { part: part.label }));
      } else {
        images.push({
          ordinal: part.ordinal,
          image: { part: part.label, field, filename, bytes },
        });
      }
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
          // Files and fields are counted here, by what the raw walk says a
          // part is (busboy reads `filename=""` as a text field); the parts
          // limit bounds both first.
          files: limits.maxParts + 1,
          fields: limits.maxParts + 1,
          // Busboy reads no part header past this; the walk counts the parts.
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

    parser.on('file', (name, stream) => {
      const part = claim(name);
      if (part?.elided) {
        // busboy read the header only; the bytes are the walk's.
        stream.resume();
        stream.on('end', () => acceptFile(part, walkedFile(part)));
        return;
      }
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
        if (part === undefined) return;
        acceptFile(part, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      });
    });

    parser.on('field', (name, value, info) => {
      const part = claim(name);
      if (part === undefined || part.problem !== undefined) return;
      // `filename=""`: a file without a name, which busboy reads as text;
      // its bytes come from the raw walk.
      if (part.disposition?.hasFilename) {
        return acceptFile(part, walkedFile(part));
      }
      const fail = (error: GatewayError) => failures.add(part.ordinal, error);
      const field = part.name ?? '';
      if (++textFields > limits.maxFields) {
        fail(
          new GatewayError(
            'TOO_MANY_FIELDS',
            `The upload has more than ${limits.maxFields} text fields, the limit per request.`,
          ),
        );
      } else if (field === IMAGE_FIELD) {
        fail(
          new GatewayError(
            'IMAGE_NOT_A_FILE',
            `Field "${IMAGE_FIELD}" must be a file upload (curl -F ${IMAGE_FIELD}=@photo.jpg), not text.`,
            { part: part.label },
          ),
        );
      } else if (info.valueTruncated) {
        fail(
          new GatewayError(
            'FIELD_TOO_LARGE',
            `Field ${JSON.stringify(field)} is larger than the limit of ${limits.maxFieldBytes} bytes per field.`,
            { part: part.label },
          ),
        );
      } else {
        fields.push({ name: field, value });
      }
    });

    parser.on('error', (cause: unknown) => {
      reject(
        failures.error ??
          new GatewayError('MALFORMED_MULTIPART', multipartProblem(cause), {
            cause,
          }),
      );
    });
    parser.on('close', () => {
      while (next < parts.length) passOver(parts[next++] as RawPart);
      if (failures.error !== undefined) {
        reject(failures.error);
      } else if (images.length === 0) {
        reject(
          new GatewayError(
            'NO_IMAGE',
            `The upload has no image; send one or more files in the field "${IMAGE_FIELD}".`,
          ),
        );
      } else {
        resolve({
          images: images.sort((a, b) => a.ordinal - b.ordinal).map(({ image }) => image),
          fields,
        });
      }
    });
    parser.end(scanned.body);
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
