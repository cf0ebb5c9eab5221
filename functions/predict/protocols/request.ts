import type { BodyEncoding, TritonTensorMode } from '#shared/endpoint-protocol/presets.ts';
import { tritonBinaryContentType } from '#shared/endpoint-protocol/triton.ts';
import type { EncodedInput } from '#shared/model-input/prepare.ts';
import type { TextField } from '#shared/multipart.ts';
import { encodeForm, type Payload } from '../payload.ts';
import { addBatchDimension, flatJson, npyData, npyDataBytes, tensorJson } from './tensor.ts';

/** How each invocation's body is framed, resolved from the preset and the fine-grained settings. */
export interface RequestSpec {
  readonly body: BodyEncoding;
  /** The Content-Type; undefined: the encoded input's own (raw), `text/plain` (base64), `application/json` (json). */
  readonly contentType: string | undefined;
  readonly accept: string;
  readonly multipartField: string;
  /** A json body's template (checked at load: one placeholder). */
  readonly jsonTemplate: string;
  readonly tritonTensorMode: TritonTensorMode;
  readonly tritonInputName: string;
  readonly tritonOutputName: string;
  /** Tensor bodies: shape `[1, height, width, 3]` instead of `[height, width, 3]`. */
  readonly batchDimension: boolean;
}

/** Frames one encoded input (and the forwarded fields, for forms) as the container wants it. */
export type Encoder = (
  input: EncodedInput,
  fields: readonly TextField[],
  filename: string | null,
) => Payload;

/** Where a json template's placeholder is, split once at start-up. */
export interface SplitTemplate {
  readonly prefix: string;
  readonly suffix: string;
  readonly placeholder: 'base64' | 'tensor';
}

const PLACEHOLDER = /"\{\{(base64|tensor)\}\}"/g;

/**
 * Splits a json body template at its one `"{{base64}}"` or `"{{tensor}}"`
 * placeholder; undefined when it is not valid JSON or does not hold
 * exactly one placeholder.
 */
export function splitTemplate(template: string): SplitTemplate | undefined {
  try {
    JSON.parse(template);
  } catch {
    return undefined;
  }
  const matches = [...template.matchAll(PLACEHOLDER)];
  const [match] = matches;
  if (matches.length !== 1 || match === undefined) return undefined;
  return {
    prefix: template.slice(0, match.index),
    suffix: template.slice(match.index + match[0].length),
    placeholder: match[1] as 'base64' | 'tensor',
  };
}

function shapeOf(input: EncodedInput, batch: boolean): number[] {
  return batch ? [1, input.height, input.width, 3] : [input.height, input.width, 3];
}

/**
 * Builds the encoder once, at cold start: everything that does not depend
 * on the image (template split, Triton header parts, Content-Types) is
 * worked out here, so a request only frames its own bytes.
 */
export function createEncoder(spec: RequestSpec): Encoder {
  const { accept } = spec;
  switch (spec.body) {
    case 'raw':
      return (input) => {
        if (spec.batchDimension && input.encoding === 'npy') addBatchDimension(input.body);
        return { body: input.body, contentType: spec.contentType ?? input.contentType, accept };
      };
    case 'base64': {
      const contentType = spec.contentType ?? 'text/plain';
      return (input) => ({
        body: Buffer.from(input.body.toString('base64'), 'latin1'),
        contentType,
        accept,
      });
    }
    case 'multipart':
      return (input, fields, filename) => ({
        ...encodeForm(input, fields, filename, spec.multipartField),
        accept,
      });
    case 'json': {
      const split = splitTemplate(spec.jsonTemplate) as SplitTemplate;
      const contentType = spec.contentType ?? 'application/json';
      const tensor = split.placeholder === 'tensor';
      return (input) => {
        const value = tensor
          ? tensorJson(npyData(input.body), shapeOf(input, false))
          : `"${input.body.toString('base64')}"`;
        return { body: Buffer.from(split.prefix + value + split.suffix), contentType, accept };
      };
    }
    case 'triton':
      return spec.tritonTensorMode === 'binary' ? tritonBinary(spec) : tritonJson(spec);
  }
}

/** Asks for the output as JSON numbers: the answer is then plain JSON whatever the request was. */
function outputsJson(spec: RequestSpec): string {
  return JSON.stringify([{ name: spec.tritonOutputName, parameters: { binary_data: false } }]);
}

function tritonBinary(spec: RequestSpec): Encoder {
  const outputs = outputsJson(spec);
  const name = JSON.stringify(spec.tritonInputName);
  return (input) => {
    const data = npyDataBytes(input.body);
    const header = Buffer.from(
      `{"inputs":[{"name":${name},"shape":${JSON.stringify(shapeOf(input, spec.batchDimension))},"datatype":"FP32","parameters":{"binary_data_size":${data.length}}}],"outputs":${outputs}}`,
    );
    return {
      body: Buffer.concat([header, data]),
      contentType: spec.contentType ?? tritonBinaryContentType(header.length),
      accept: spec.accept,
    };
  };
}

function tritonJson(spec: RequestSpec): Encoder {
  const outputs = outputsJson(spec);
  const name = JSON.stringify(spec.tritonInputName);
  const contentType = spec.contentType ?? 'application/json';
  return (input) => ({
    body: Buffer.from(
      `{"inputs":[{"name":${name},"shape":${JSON.stringify(shapeOf(input, spec.batchDimension))},"datatype":"FP32","data":${flatJson(npyData(input.body))}}],"outputs":${outputs}}`,
    ),
    contentType,
    accept: spec.accept,
  });
}
