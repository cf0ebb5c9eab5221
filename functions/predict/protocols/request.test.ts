import { describe, expect, it } from 'vitest';
import { PROTOCOL_PRESETS } from '#shared/endpoint-protocol/presets.ts';
import { jsonHeaderSize, splitBinaryJson } from '#shared/endpoint-protocol/triton.ts';
import { allocateNpy, decodeNpy } from '#shared/model-input/npy.ts';
import type { EncodedInput } from '#shared/model-input/prepare.ts';
import { createEncoder, type RequestSpec, splitTemplate } from './request.ts';
import { addBatchDimension } from './tensor.ts';

/** A 2x1 `.npy` input, pixels 0..5. */
function npyInput(): EncodedInput {
  const npy = allocateNpy([1, 2, 3]);
  npy.data.set([0, 1, 2, 3, 4, 5.5]);
  return { body: npy.file, contentType: 'application/x-npy', encoding: 'npy', width: 2, height: 1 };
}

const png: EncodedInput = {
  body: Buffer.from('89504e47', 'hex'),
  contentType: 'image/png',
  encoding: 'png',
  width: 2,
  height: 1,
};

function spec(
  name: keyof typeof PROTOCOL_PRESETS,
  overrides: Partial<RequestSpec> = {},
): RequestSpec {
  const preset = PROTOCOL_PRESETS[name];
  return {
    body: preset.body,
    contentType: preset.contentType,
    accept: preset.accept,
    multipartField: preset.multipartField,
    jsonTemplate: preset.jsonTemplate,
    tritonTensorMode: preset.tritonTensorMode,
    tritonInputName: preset.tritonInputName,
    tritonOutputName: preset.tritonOutputName,
    batchDimension: preset.batchDimension,
    ...overrides,
  };
}

describe('request encoders', () => {
  it.each([
    { name: 'huggingface', contentType: 'image/x-image', accept: 'application/json' },
    {
      name: 'sagemaker-image-classification',
      contentType: 'application/x-image',
      accept: 'application/json',
    },
    {
      name: 'jumpstart-ic',
      contentType: 'application/x-image',
      accept: 'application/json;verbose',
    },
    { name: 'detection', contentType: 'application/x-image', accept: 'application/json;verbose' },
    { name: 'torchserve', contentType: 'image/png', accept: 'application/json' },
  ] as const)(
    '$name: the image file itself as $contentType, Accept $accept',
    ({ name, contentType, accept }) => {
      const payload = createEncoder(spec(name))(png, [], null);
      expect(payload).toEqual({ body: png.body, contentType, accept });
      expect(payload.body).toBe(png.body); // no copy
    },
  );

  it('pytorch-dlc: the .npy tensor with a batch dimension, same buffer', () => {
    const input = npyInput();
    const payload = createEncoder(spec('pytorch-dlc'))(input, [], null);
    expect(payload.body).toBe(input.body);
    expect(payload.contentType).toBe('application/x-npy');
    const sent = decodeNpy(payload.body);
    expect(sent.shape).toEqual([1, 1, 2, 3]);
    expect([...sent.data]).toEqual([0, 1, 2, 3, 4, 5.5]);
  });

  it('tensorflow-serving: {"signature_name", "instances": [tensor]} as nested JSON numbers', () => {
    const payload = createEncoder(spec('tensorflow-serving'))(npyInput(), [], null);
    expect(payload.contentType).toBe('application/json');
    expect(JSON.parse(payload.body.toString())).toEqual({
      signature_name: 'serving_default',
      instances: [
        [
          [
            [0, 1, 2],
            [3, 4, 5.5],
          ],
        ],
      ],
    });
  });

  it('a json template with a named input and base64 (TF Serving *_bytes inputs)', () => {
    const template =
      '{"signature_name":"predict_images","instances":[{"image_bytes":{"b64":"{{base64}}"}}]}';
    const payload = createEncoder(spec('raw-image', { body: 'json', jsonTemplate: template }))(
      png,
      [],
      null,
    );
    expect(JSON.parse(payload.body.toString())).toEqual({
      signature_name: 'predict_images',
      instances: [{ image_bytes: { b64: png.body.toString('base64') } }],
    });
  });

  it('base64 text body (a YOLO-style container)', () => {
    const payload = createEncoder(spec('raw-image', { body: 'base64' }))(png, [], null);
    expect(payload).toEqual({
      body: Buffer.from(png.body.toString('base64')),
      contentType: 'text/plain',
      accept: 'application/json',
    });
  });

  it('multipart with a named file field and only the given fields', () => {
    const payload = createEncoder(spec('raw-image', { body: 'multipart', multipartField: 'file' }))(
      png,
      [{ name: 'note', value: 'x' }],
      'cat.heic',
    );
    const text = payload.body.toString('latin1');
    expect(text).toContain('name="note"\r\n\r\nx\r\n');
    expect(text).toContain('name="file"; filename="cat.png"');
  });

  it('triton binary+json: the JSON header, then the FP32 bytes', () => {
    const payload = createEncoder(spec('triton'))(npyInput(), [], null);
    const size = jsonHeaderSize(payload.contentType) as number;
    expect(payload.contentType).toBe(
      `application/vnd.sagemaker-triton.binary+json;json-header-size=${size}`,
    );
    const { header, binary } = splitBinaryJson(payload.body, size);
    expect(header).toEqual({
      inputs: [
        {
          name: 'INPUT__0',
          shape: [1, 1, 2, 3],
          datatype: 'FP32',
          parameters: { binary_data_size: 24 },
        },
      ],
      outputs: [{ name: 'OUTPUT__0', parameters: { binary_data: false } }],
    });
    expect([
      ...new Float32Array(binary.buffer.slice(binary.byteOffset, binary.byteOffset + 24)),
    ]).toEqual([0, 1, 2, 3, 4, 5.5]);
  });

  it('triton v2 JSON: flat data beside the shape, named tensors', () => {
    const payload = createEncoder(
      spec('triton', {
        tritonTensorMode: 'json',
        tritonInputName: 'input_1',
        tritonOutputName: 'probs',
      }),
    )(npyInput(), [], null);
    expect(payload.contentType).toBe('application/json');
    expect(JSON.parse(payload.body.toString())).toEqual({
      inputs: [
        { name: 'input_1', shape: [1, 1, 2, 3], datatype: 'FP32', data: [0, 1, 2, 3, 4, 5.5] },
      ],
      outputs: [{ name: 'probs', parameters: { binary_data: false } }],
    });
  });
});

describe('splitTemplate', () => {
  it.each([
    { template: '{"instances":["{{tensor}}"]}', ok: true },
    { template: '{"a":"{{base64}}"}', ok: true },
    { template: '{"a":"{{base64}}","b":"{{tensor}}"}', ok: false },
    { template: '{"a":1}', ok: false },
    { template: '{"a":{{base64}}}', ok: false },
    { template: 'not json "{{base64}}"', ok: false },
  ])('$template: $ok', ({ template, ok }) => {
    expect(splitTemplate(template) !== undefined).toBe(ok);
  });
});

describe('addBatchDimension', () => {
  it('adds the batch dimension once, however often a body is framed', () => {
    const input = npyInput();
    expect(addBatchDimension(input.body)).toBe(true);
    expect(addBatchDimension(input.body)).toBe(true);
    expect(decodeNpy(input.body).shape).toEqual([1, 1, 2, 3]);
  });
});
