import { relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  jsonHeaderSize,
  splitBinaryJson,
  tritonBinaryContentType,
} from '#shared/endpoint-protocol/triton.ts';
import { decodeNpy } from '#shared/model-input/npy.ts';
import { DEFAULT_MODEL_CONFIG, ROOT_DIR } from './paths.ts';
import { presentAnswer, presentRequest } from './protocols.ts';

const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const RESULT = [
  { label: 'Neutral', score: 0.9 },
  { label: 'Drawing', score: 0.06 },
  { label: 'Sexy', score: 0.02 },
  { label: 'Porn', score: 0.01 },
  { label: 'Hentai', score: 0.01 },
];
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const bodyOf = (reply: { body: string | Uint8Array }) =>
  JSON.parse(Buffer.from(reply.body).toString());

describe('presentRequest: what each container refuses', () => {
  it.each([
    {
      protocol: 'huggingface',
      contentType: 'application/x-image',
      body: Buffer.from('x'),
      message: 'Content type application/x-image is not supported.',
      status: 400,
    },
    {
      protocol: 'pytorch-dlc',
      contentType: 'image/jpeg',
      body: Buffer.from('x'),
      message:
        'Content type image/jpeg is not supported by this framework; send application/json or application/x-npy.',
      status: 415,
    },
    {
      protocol: 'tensorflow-serving',
      contentType: 'application/json',
      body: json({ signature_name: 'classify_images', instances: [[1]] }),
      message: 'Serving signature name: "classify_images" not found in signature def',
      status: 400,
    },
    {
      protocol: 'tensorflow-serving',
      contentType: 'application/json',
      body: json({ rows: [] }),
      message: 'Missing "instances" or "inputs" key',
      status: 400,
    },
    {
      protocol: 'triton',
      contentType: 'application/json',
      body: json({ inputs: [] }),
      message: 'The request must have "inputs" with exactly one tensor.',
      status: 400,
    },
    {
      protocol: 'triton',
      contentType: tritonBinaryContentType(50),
      body: Buffer.from('{}'),
      message: 'json-header-size is 50 but the body has 2 bytes',
      status: 400,
    },
  ] as const)(
    '$protocol refuses $contentType: $status',
    ({ protocol, contentType, body, message, status }) => {
      expect(() => presentRequest(protocol, contentType, body)).toThrowError(
        expect.objectContaining({ message, status }),
      );
    },
  );

  it('tensorflow-serving routes on tfs-model-name and tfs-method, as the SageMaker container does', () => {
    const body = json({ instances: [[[[1, 2, 3]]]] });
    expect(() =>
      presentRequest('tensorflow-serving', 'application/json', body, 'tfs-model-name=other'),
    ).toThrowError('Servable not found for request: Latest(other)');
    expect(() =>
      presentRequest(
        'tensorflow-serving',
        'application/json',
        body,
        'client-id=a;tfs-method=classify',
      ),
    ).toThrowError('classify is not supported');
    expect(
      presentRequest('tensorflow-serving', 'application/json', body, 'tfs-model-name=model')
        .contentType,
    ).toBe('application/x-npy');
  });

  it('tensorflow-serving instances become .npy pixels; b64 instances stay images', () => {
    const tensor = presentRequest(
      'tensorflow-serving',
      'application/json',
      json({ instances: [[[[1, 2, 3]]]] }),
    );
    expect(decodeNpy(tensor.body).shape).toEqual([1, 1, 1, 3]);
    const files = presentRequest(
      'tensorflow-serving',
      'application/json',
      json({ instances: [{ image_bytes: { b64: 'AAAA' } }] }),
    );
    expect(JSON.parse(files.body.toString())).toEqual({ instances: [{ b64: 'AAAA' }] });
  });

  it('triton binary+json: the FP32 bytes become .npy pixels of the declared shape', () => {
    const data = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const header = json({
      inputs: [
        {
          name: 'INPUT__0',
          shape: [1, 1, 2, 3],
          datatype: 'FP32',
          parameters: { binary_data_size: 24 },
        },
      ],
      outputs: [{ name: 'probs', parameters: { binary_data: true } }],
    });
    const presented = presentRequest(
      'triton',
      tritonBinaryContentType(header.length),
      Buffer.concat([header, data]),
    );
    const npy = decodeNpy(presented.body);
    expect([npy.shape, [...npy.data]]).toEqual([
      [1, 1, 2, 3],
      [1, 2, 3, 4, 5, 6],
    ]);
    expect(presented.tritonOutput).toEqual({ name: 'probs', binary: true, classification: 0 });
  });
});

describe('presentAnswer: each family answer shape', () => {
  const answer = (protocol: Parameters<typeof presentAnswer>[0], accept = 'application/json') =>
    presentAnswer(
      protocol,
      { contentType: undefined, body: Buffer.alloc(0) },
      accept,
      [RESULT],
      LABELS,
      false,
      {},
    );

  it.each([
    { protocol: 'torchserve', expected: { '2': 0.9, '0': 0.06, '4': 0.02, '3': 0.01, '1': 0.01 } },
    { protocol: 'pytorch-dlc', expected: [[0.06, 0.01, 0.9, 0.01, 0.02]] },
    { protocol: 'tensorflow-serving', expected: { predictions: [[0.06, 0.01, 0.9, 0.01, 0.02]] } },
    { protocol: 'huggingface', expected: RESULT },
    { protocol: 'sagemaker-image-classification', expected: [0.06, 0.01, 0.9, 0.01, 0.02] },
    { protocol: 'jumpstart-ic', expected: { probabilities: [0.06, 0.01, 0.9, 0.01, 0.02] } },
  ] as const)('$protocol', ({ protocol, expected }) => {
    expect(bodyOf(answer(protocol))).toEqual(expected);
  });

  it('jumpstart-ic verbose adds labels and predicted_label', () => {
    expect(bodyOf(answer('jumpstart-ic', 'application/json;verbose'))).toEqual({
      probabilities: [0.06, 0.01, 0.9, 0.01, 0.02],
      labels: LABELS,
      predicted_label: 'Neutral',
    });
  });

  it('triton binary output: a binary+json answer', () => {
    const reply = presentAnswer(
      'triton',
      {
        contentType: undefined,
        body: Buffer.alloc(0),
        tritonOutput: { name: 'probs', binary: true, classification: 0 },
      },
      undefined,
      [RESULT],
      LABELS,
      true,
      {},
    );
    const size = jsonHeaderSize(reply.headers['Content-Type']) as number;
    const { header, binary } = splitBinaryJson(reply.body as Uint8Array, size);
    expect(header).toMatchObject({
      outputs: [
        { name: 'probs', datatype: 'FP32', shape: [1, 5], parameters: { binary_data_size: 20 } },
      ],
    });
    expect(binary.length).toBe(20);
  });
});

describe('the bundled model config path', () => {
  it('is the one local/stack.ts names for the labels of protocols whose answers carry none', () => {
    expect(relative(ROOT_DIR, DEFAULT_MODEL_CONFIG).split(sep).join('/')).toBe(
      '.cache/models/nsfwjs-mobilenet-v2/classifier.json',
    );
  });
});
