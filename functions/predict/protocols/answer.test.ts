import { describe, expect, it } from 'vitest';
import { parseJsonPointer } from '#shared/endpoint-protocol/json-pointer.ts';
import { PROTOCOL_PRESETS } from '#shared/endpoint-protocol/presets.ts';
import { tritonBinaryContentType } from '#shared/endpoint-protocol/triton.ts';
import { type AnswerReading, defaultReading } from '../output.ts';
import { jsonDecoder, tritonDecoder } from './answer.ts';

// Each container family's answer, as its documentation or source shows it,
// read by the preset's reader. The source of each body is named in `source`.

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const NSFW = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function presetReading(
  name: keyof typeof PROTOCOL_PRESETS,
  labels: readonly string[],
  topK = 5,
): AnswerReading {
  const preset = PROTOCOL_PRESETS[name];
  return {
    ...defaultReading(labels, topK),
    mode: preset.output,
    scoresAt: preset.scoresPointer === '' ? undefined : parseJsonPointer(preset.scoresPointer),
    labelsAt: preset.labelsPointer === '' ? undefined : parseJsonPointer(preset.labelsPointer),
  };
}

describe('documented answers, read by each preset', () => {
  it.each([
    {
      family: 'torchserve',
      source: 'pytorch/serve ts/torch_handler/image_classifier.py (index_to_name.json present)',
      body: { tabby: 0.4096, tiger_cat: 0.3467, Egyptian_cat: 0.1308 },
      labels: [],
      expected: [
        { label: 'tabby', score: 0.4096 },
        { label: 'tiger_cat', score: 0.3467 },
        { label: 'Egyptian_cat', score: 0.1308 },
      ],
    },
    {
      family: 'torchserve',
      source: 'pytorch/serve image_classifier.py without index_to_name.json: class indexes as keys',
      body: { '2': 0.93, '0': 0.05, '4': 0.02 },
      labels: NSFW,
      expected: [
        { label: 'Neutral', score: 0.93 },
        { label: 'Drawing', score: 0.05 },
        { label: 'Sexy', score: 0.02 },
      ],
    },
    {
      family: 'pytorch-dlc',
      source:
        'sagemaker-pytorch-inference-toolkit default_output_fn: the model output as a JSON list',
      body: [[0.01, 0.02, 0.9, 0.03, 0.04]],
      labels: NSFW,
      expected: [
        { label: 'Neutral', score: 0.9 },
        { label: 'Sexy', score: 0.04 },
        { label: 'Porn', score: 0.03 },
        { label: 'Hentai', score: 0.02 },
        { label: 'Drawing', score: 0.01 },
      ],
    },
    {
      family: 'tensorflow-serving',
      source: 'TF Serving REST API, predict, row format: {"predictions": [[...]]}',
      body: { predictions: [[0.1, 0.9]] },
      labels: ['no', 'yes'],
      expected: [
        { label: 'yes', score: 0.9 },
        { label: 'no', score: 0.1 },
      ],
    },
    {
      family: 'tensorflow-serving',
      source: 'TF Serving REST API, predict, multiple named outputs per instance',
      body: { predictions: [{ probabilities: [0.3, 0.7], classes: ['cat', 'dog'] }] },
      labels: [],
      expected: [
        { label: 'dog', score: 0.7 },
        { label: 'cat', score: 0.3 },
      ],
    },
    {
      family: 'huggingface',
      source:
        'transformers ImageClassificationPipeline via sagemaker-huggingface-inference-toolkit',
      body: [
        { label: 'Egyptian cat', score: 0.52 },
        { label: 'tabby, tabby cat', score: 0.19 },
      ],
      labels: [],
      expected: [
        { label: 'Egyptian cat', score: 0.52 },
        { label: 'tabby, tabby cat', score: 0.19 },
      ],
    },
    {
      family: 'sagemaker-image-classification',
      source:
        'SageMaker developer guide, Image Classification, inference: a JSON array of class probabilities',
      body: [0.02, 0.98],
      labels: ['cat', 'dog'],
      expected: [
        { label: 'dog', score: 0.98 },
        { label: 'cat', score: 0.02 },
      ],
    },
    {
      family: 'jumpstart-ic',
      source: 'JumpStart image classification notebook, Accept application/json;verbose',
      body: {
        probabilities: [0.1, 0.85, 0.05],
        labels: ['cat', 'dog', 'fox'],
        predicted_label: 'dog',
      },
      labels: [],
      expected: [
        { label: 'dog', score: 0.85 },
        { label: 'cat', score: 0.1 },
        { label: 'fox', score: 0.05 },
      ],
    },
    {
      family: 'raw-image',
      source: 'MXNet model server: [{class, probability}]',
      body: [
        { class: 'n02123045 tabby', probability: 0.42 },
        { class: 'n02124075 Egyptian cat', probability: 0.5 },
      ],
      labels: [],
      expected: [
        { label: 'n02124075 Egyptian cat', score: 0.5 },
        { label: 'n02123045 tabby', score: 0.42 },
      ],
    },
    {
      family: 'raw-image',
      source: 'a container answering {"probs": [...]} (YOLOv8 classify style)',
      body: { probs: [0.2, 0.8] },
      labels: ['no', 'yes'],
      expected: [
        { label: 'yes', score: 0.8 },
        { label: 'no', score: 0.2 },
      ],
    },
  ] as const)('$family: $source', ({ family, body, labels, expected }) => {
    const decode = jsonDecoder(presetReading(family, labels));
    expect(decode(json(body), 'application/json')).toEqual({ predictions: expected });
  });

  it('detection: JumpStart object detection (verbose) passes through intact, never relabelled', () => {
    // JumpStart object detection notebook: boxes, class indexes, scores and labels.
    const answer = {
      normalized_boxes: [
        [0.1, 0.2, 0.5, 0.9],
        [0.6, 0.4, 0.9, 0.8],
      ],
      classes: [0, 16],
      scores: [0.93, 0.71],
      labels: ['person', 'dog'],
    };
    const decode = jsonDecoder(presetReading('detection', ['person', 'dog']));
    expect(decode(json(answer), 'application/json')).toEqual({ output: answer });
  });

  it('detection output is not relabelled even in classification mode', () => {
    const answer = { normalized_boxes: [[0, 0, 1, 1]], classes: [0, 16], scores: [0.93, 0.71] };
    const decode = jsonDecoder(defaultReading(['person', 'dog', 'cat', 'car'], 5));
    expect(decode(json(answer), 'application/json')).toEqual({ output: answer });
  });

  it('jumpstart-ic without verbose: the scores with configured labels', () => {
    const decode = jsonDecoder(presetReading('jumpstart-ic', ['cat', 'dog']));
    expect(decode(json({ probabilities: [0.3, 0.7] }), 'application/json')).toEqual({
      predictions: [
        { label: 'dog', score: 0.7 },
        { label: 'cat', score: 0.3 },
      ],
    });
  });

  it('jumpstart-ic without verbose and without labels: 502 naming the pointer', () => {
    const decode = jsonDecoder(presetReading('jumpstart-ic', []));
    expect(() => decode(json({ probabilities: [0.3, 0.7] }), 'application/json')).toThrowError(
      expect.objectContaining({
        code: 'BAD_MODEL_OUTPUT',
        detail: "The model's answer has no list of labels at /labels (MODEL_LABELS_POINTER).",
      }),
    );
  });
});

describe('Triton (KServe v2)', () => {
  const reading = defaultReading(NSFW, 5);
  const decode = tritonDecoder('OUTPUT__0', reading);

  it('KServe v2 JSON answer: outputs[].data with configured labels', () => {
    // Open Inference Protocol (V2), inference response JSON object.
    const body = json({
      model_name: 'nsfw',
      model_version: '1',
      outputs: [
        { name: 'OUTPUT__0', shape: [1, 5], datatype: 'FP32', data: [0.01, 0.02, 0.9, 0.03, 0.04] },
      ],
    });
    expect(decode(body, 'application/json')).toEqual({
      predictions: [
        { label: 'Neutral', score: 0.9 },
        { label: 'Sexy', score: 0.04 },
        { label: 'Porn', score: 0.03 },
        { label: 'Hentai', score: 0.02 },
        { label: 'Drawing', score: 0.01 },
      ],
    });
  });

  it('classification extension: "score:index:label" strings', () => {
    // Triton docs, protocol/extension_classification.md.
    const body = json({
      outputs: [
        {
          name: 'OUTPUT__0',
          shape: [1, 2],
          datatype: 'BYTES',
          data: ['0.9:2:Neutral', '0.05:0'],
        },
      ],
    });
    expect(decode(body, 'application/json')).toEqual({
      predictions: [
        { label: 'Neutral', score: 0.9 },
        { label: 'Drawing', score: 0.05 },
      ],
    });
  });

  it('binary+json answer: FP32 bytes after the JSON header', () => {
    // Triton docs, protocol/extension_binary_data.md; SageMaker's json-header-size media type.
    const data = Buffer.from(new Float32Array([0.5, 0.25, 0.125, 0.0625, 0.0625]).buffer);
    const header = Buffer.from(
      JSON.stringify({
        outputs: [
          {
            name: 'OUTPUT__0',
            shape: [1, 5],
            datatype: 'FP32',
            parameters: { binary_data_size: 20 },
          },
        ],
      }),
    );
    const output = decode(Buffer.concat([header, data]), tritonBinaryContentType(header.length));
    expect(output).toEqual({
      predictions: [
        { label: 'Drawing', score: 0.5 },
        { label: 'Hentai', score: 0.25 },
        { label: 'Neutral', score: 0.125 },
        { label: 'Porn', score: 0.0625 },
        { label: 'Sexy', score: 0.0625 },
      ],
    });
  });

  it.each([
    {
      what: 'no outputs list',
      body: json({ error: 'x' }),
      contentType: 'application/json',
      detail: 'The model answered without a KServe v2 "outputs" list of tensors.',
    },
    {
      what: 'another output name among several',
      body: json({
        outputs: [
          { name: 'a', shape: [1], datatype: 'FP32', data: [1] },
          { name: 'b', shape: [1], datatype: 'FP32', data: [1] },
        ],
      }),
      contentType: 'application/json',
      detail: 'The model answered no output OUTPUT__0 (TRITON_OUTPUT_NAME); it has a, b.',
    },
    {
      what: 'a header longer than the body',
      body: Buffer.from('{}'),
      contentType: tritonBinaryContentType(99),
      detail:
        "The model's binary+json answer cannot be read: json-header-size is 99 but the body has 2 bytes.",
    },
  ])('502 BAD_MODEL_OUTPUT: $what', ({ body, contentType, detail }) => {
    expect(() => decode(body, contentType)).toThrowError(
      expect.objectContaining({ code: 'BAD_MODEL_OUTPUT', status: 502, detail }),
    );
  });
});

describe('non-finite scores and TOP_K, reported', () => {
  it('TF Serving NaN: tolerated, left out and reported', () => {
    // TF Serving writes NaN as a bare token (its JSON is not strict).
    const decode = jsonDecoder(defaultReading(['a', 'b', 'c'], 5));
    expect(decode(Buffer.from('{"predictions": [[0.25, NaN, 0.75]]}'), 'application/json')).toEqual(
      {
        predictions: [
          { label: 'c', score: 0.75 },
          { label: 'a', score: 0.25 },
        ],
        warnings: [
          "1 of the model's scores were not finite numbers (NaN, Infinity or null) and are left out: b.",
        ],
      },
    );
  });

  it('Infinity and -Infinity in a passed-through answer: null, and reported', () => {
    const decode = jsonDecoder({ ...defaultReading([], 5), mode: 'passthrough' });
    expect(decode(Buffer.from('{"x": [Infinity, -Infinity, "NaN"]}'), 'application/json')).toEqual({
      output: { x: [null, null, 'NaN'] },
      warnings: [
        "The model's answer held 2 non-finite numbers (NaN or Infinity), which JSON cannot carry; they are null in output.",
      ],
    });
  });

  it('all scores NaN: 502', () => {
    const decode = jsonDecoder(defaultReading(['a', 'b'], 5));
    expect(() => decode(Buffer.from('[NaN, NaN]'), 'application/json')).toThrowError(
      expect.objectContaining({
        code: 'BAD_MODEL_OUTPUT',
        detail: "None of the model's 2 scores is a finite number.",
      }),
    );
  });

  it.each([
    { k: 3, warnings: undefined },
    { k: 4, warnings: ['TOP_K is 4 but the model gave 3 finite scores; all 3 are returned.'] },
  ])('TOP_K set to $k with 3 scores', ({ k, warnings }) => {
    const decode = jsonDecoder({ ...defaultReading([], k), reportShortTopK: true });
    const output = decode(json({ a: 0.5, b: 0.3, c: 0.2 }), 'application/json');
    expect(output).toEqual({
      predictions: [
        { label: 'a', score: 0.5 },
        { label: 'b', score: 0.3 },
        { label: 'c', score: 0.2 },
      ],
      ...(warnings === undefined ? {} : { warnings }),
    });
  });

  it('TorchServe index keys beyond the labels: 502', () => {
    const decode = jsonDecoder(defaultReading(['a', 'b'], 5));
    expect(() => decode(json({ '0': 0.5, '7': 0.5 }), 'application/json')).toThrowError(
      expect.objectContaining({
        detail: 'The model scored class 7 but 2 labels are configured.',
      }),
    );
  });

  it('labels with commas (a JSON array) survive', () => {
    const decode = jsonDecoder(defaultReading(['tabby, tabby cat', 'tiger cat'], 5));
    expect(decode(json([0.7, 0.3]), 'application/json')).toEqual({
      predictions: [
        { label: 'tabby, tabby cat', score: 0.7 },
        { label: 'tiger cat', score: 0.3 },
      ],
    });
  });
});
