import { createHash } from 'node:crypto';
import { IMAGE_FIELD } from '#shared/contract.ts';
import type { EncodedInput } from '#shared/model-input/prepare.ts';
import type { TextField } from '#shared/multipart.ts';
import type { EndpointContentType } from '#shared/predict-env.ts';

export interface Payload {
  readonly body: Buffer;
  readonly contentType: string;
  /** The invocation's Accept. @default 'application/json' */
  readonly accept?: string;
}

/**
 * Frames one encoded input in the body format the endpoint's container
 * expects: the input itself (its own media type, or `application/x-image`
 * as SageMaker's built-in algorithms take it), a form, or JSON instances.
 * Deterministic: the multipart boundary is derived from the input, so the
 * same upload always produces the same bytes.
 */
export function encodePayload(
  format: EndpointContentType,
  input: EncodedInput,
  fields: readonly TextField[],
  filename: string | null,
): Payload {
  switch (format) {
    case 'image/jpeg':
    case 'image/png':
    case 'application/x-npy':
      return { body: input.body, contentType: input.contentType };
    case 'application/x-image':
      return { body: input.body, contentType: format };
    case 'application/json':
      return {
        body: Buffer.from(JSON.stringify({ instances: [{ b64: input.body.toString('base64') }] })),
        contentType: 'application/json',
      };
    case 'multipart/form-data':
      return encodeForm(input, fields, filename);
  }
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
