import { createHash } from 'node:crypto';
import { IMAGE_FIELD } from '#shared/contract.ts';
import type { EncodedInput } from '#shared/model-input/prepare.ts';
import type { TextField } from '#shared/multipart.ts';

/** One invocation's body and headers, as the endpoint protocol framed it (protocols/request.ts). */
export interface Payload {
  readonly body: Buffer;
  readonly contentType: string;
  /** The invocation's Accept. @default 'application/json' */
  readonly accept?: string;
}

const EXTENSIONS: Readonly<Record<EncodedInput['encoding'], string>> = {
  npy: '.npy',
  png: '.png',
  jpeg: '.jpg',
};

/** The upload's name with the extension of what is sent (`cat.heic` -> `cat.png`). */
function sentName(filename: string | null, input: EncodedInput): string {
  const stem = (filename ?? 'image').replace(/\.[^./\\]*$/, '');
  return `${stem === '' ? 'image' : stem}${EXTENSIONS[input.encoding]}`;
}

function quoted(value: string): string {
  // What browsers do (WHATWG multipart encoding): escape ", CR and LF.
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * A form of the forwarded text fields and the input as a file in `field`.
 * Deterministic: the boundary is derived from the input.
 */
export function encodeForm(
  input: EncodedInput,
  fields: readonly TextField[],
  filename: string | null,
  field: string = IMAGE_FIELD,
): Payload {
  const boundary = `gateway-${createHash('sha256').update(input.body).digest('hex').slice(0, 32)}`;
  const chunks: Buffer[] = [];
  for (const { name, value } of fields) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  const name = quoted(sentName(filename, input));
  chunks.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(field)}"; filename="${name}"\r\nContent-Type: ${input.contentType}\r\n\r\n`,
    ),
    input.body,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
