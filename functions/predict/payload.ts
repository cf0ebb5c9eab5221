import { createHash } from 'node:crypto';
import { IMAGE_FIELD } from '#shared/contract.ts';
import type { TextField } from '#shared/multipart.ts';
import type { EndpointContentType } from '#shared/predict-env.ts';

export interface Payload {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Encodes one normalised JPEG in the body format the endpoint's container
 * expects. Deterministic: the multipart boundary is derived from the image,
 * so the same upload always produces the same bytes.
 */
export function encodePayload(
  format: EndpointContentType,
  jpeg: Buffer,
  fields: readonly TextField[],
  filename: string | null,
): Payload {
  switch (format) {
    case 'image/jpeg':
    case 'application/x-image':
      return { body: jpeg, contentType: format };
    case 'application/json':
      return {
        body: Buffer.from(JSON.stringify({ instances: [{ b64: jpeg.toString('base64') }] })),
        contentType: 'application/json',
      };
    case 'multipart/form-data':
      return encodeForm(jpeg, fields, filename);
  }
}

function quoted(value: string): string {
  // What browsers do (WHATWG multipart encoding): escape ", CR and LF.
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function encodeForm(jpeg: Buffer, fields: readonly TextField[], filename: string | null): Payload {
  const boundary = `gateway-${createHash('sha256').update(jpeg).digest('hex').slice(0, 32)}`;
  const chunks: Buffer[] = [];
  for (const { name, value } of fields) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  const name = quoted(filename ?? 'image.jpg');
  chunks.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${IMAGE_FIELD}"; filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    jpeg,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
