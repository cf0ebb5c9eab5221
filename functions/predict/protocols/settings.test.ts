import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config-kit.ts';
import { ENDPOINT_PROTOCOLS } from '#shared/endpoint-protocol/presets.ts';
import { loadConfig } from '../config.ts';

const base = { SAGEMAKER_ENDPOINT_NAME: 'my-endpoint' };
const dir = mkdtempSync(join(tmpdir(), 'labels-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('ENDPOINT_PROTOCOL presets', () => {
  it.each([
    { protocol: 'raw-image', encoding: 'npy', profile: 'nsfwjs-mobilenet-v2' },
    { protocol: 'torchserve', encoding: 'png', profile: 'nsfwjs-mobilenet-v2 (modified)' },
    { protocol: 'pytorch-dlc', encoding: 'npy', profile: 'nsfwjs-mobilenet-v2' },
    { protocol: 'tensorflow-serving', encoding: 'npy', profile: 'nsfwjs-mobilenet-v2' },
    { protocol: 'huggingface', encoding: 'png', profile: 'nsfwjs-mobilenet-v2 (modified)' },
    {
      protocol: 'sagemaker-image-classification',
      encoding: 'png',
      profile: 'nsfwjs-mobilenet-v2 (modified)',
    },
    { protocol: 'jumpstart-ic', encoding: 'png', profile: 'nsfwjs-mobilenet-v2 (modified)' },
    { protocol: 'triton', encoding: 'npy', profile: 'nsfwjs-mobilenet-v2' },
    { protocol: 'detection', encoding: 'png', profile: 'nsfwjs-mobilenet-v2 (modified)' },
  ])('$protocol sends $encoding pixels', ({ protocol, encoding, profile }) => {
    const config = loadConfig({ ...base, ENDPOINT_PROTOCOL: protocol });
    expect(config.protocol.name).toBe(protocol);
    expect([config.normalise.profile.encoding, config.normalise.profile.name]).toEqual([
      encoding,
      profile,
    ]);
  });

  it('covers every preset', () => {
    expect(ENDPOINT_PROTOCOLS).toHaveLength(9);
  });

  it('reads the fine-grained overrides', () => {
    const config = loadConfig({
      ...base,
      ENDPOINT_PROTOCOL: 'triton',
      TRITON_TENSOR_MODE: 'json',
      TRITON_INPUT_NAME: 'input_1',
      TRITON_OUTPUT_NAME: 'probs',
      ENDPOINT_ACCEPT: 'application/json',
      MODEL_OUTPUT_MODE: 'passthrough',
      MODEL_SCORES_POINTER: '/outputs/0/data',
      MODEL_LABELS_POINTER: '/labels',
      TOP_K: '3',
    });
    expect(config.protocol.request).toMatchObject({
      body: 'triton',
      tritonTensorMode: 'json',
      tritonInputName: 'input_1',
      tritonOutputName: 'probs',
    });
    expect(config.protocol.reading).toMatchObject({
      mode: 'passthrough',
      scoresAt: ['outputs', '0', 'data'],
      labelsAt: ['labels'],
      topK: 3,
      reportShortTopK: true,
    });
  });

  it('ENDPOINT_CONTENT_TYPE is only the header outside raw-image framing', () => {
    const config = loadConfig({
      ...base,
      ENDPOINT_PROTOCOL: 'huggingface',
      ENDPOINT_CONTENT_TYPE: 'image/png',
    });
    expect(config.protocol.request.contentType).toBe('image/png');
  });

  it('MODEL_INPUT_ENCODING=jpeg for an image preset is kept', () => {
    const config = loadConfig({
      ...base,
      ENDPOINT_PROTOCOL: 'huggingface',
      MODEL_INPUT_ENCODING: 'jpeg',
    });
    expect(config.normalise.profile.encoding).toBe('jpeg');
  });

  it('FORWARD_FIELDS: names and prefixes', () => {
    const config = loadConfig({ ...base, FORWARD_FIELDS: 'note, tfs-*' });
    expect(config.forwardFields).toEqual({ names: new Set(['note']), prefixes: ['tfs-'] });
  });
});

describe('labels', () => {
  it.each([
    {
      what: 'a JSON array with commas',
      env: { MODEL_LABELS: '["tabby, tabby cat","dog"]' },
      labels: ['tabby, tabby cat', 'dog'],
    },
    {
      what: 'a JSON array file',
      env: { MODEL_LABELS_FILE: file('a.json', '["a,b","c"]') },
      labels: ['a,b', 'c'],
    },
    {
      what: 'a classifier.json-style file',
      env: { MODEL_LABELS_FILE: file('c.json', '{"labels":["x","y"]}') },
      labels: ['x', 'y'],
    },
    {
      what: 'one label per line',
      env: { MODEL_LABELS_FILE: file('l.txt', 'tench\r\ngoldfish, Carassius auratus\n\n') },
      labels: ['tench', 'goldfish, Carassius auratus'],
    },
    {
      what: 'a path relative to LAMBDA_TASK_ROOT',
      env: { LAMBDA_TASK_ROOT: dir, MODEL_LABELS_FILE: 'l.txt' },
      labels: ['tench', 'goldfish, Carassius auratus'],
    },
  ])('$what', ({ env, labels }) => {
    expect(loadConfig({ ...base, ...env }).modelLabels).toEqual(labels);
  });
});

describe('invalid settings fail at start-up with one line', () => {
  it.each([
    {
      env: { ENDPOINT_PROTOCOL: 'keras' },
      message: `Environment variable ENDPOINT_PROTOCOL must be one of ${ENDPOINT_PROTOCOLS.join(', ')}, but received "keras"`,
    },
    {
      env: { ENDPOINT_BODY_ENCODING: 'xml' },
      message:
        'Environment variable ENDPOINT_BODY_ENCODING must be one of raw, base64, multipart, json, triton, but received "xml"',
    },
    {
      env: { ENDPOINT_PROTOCOL: 'huggingface', ENDPOINT_CONTENT_TYPE: 'image x' },
      message:
        'Environment variable ENDPOINT_CONTENT_TYPE must be a media type such as image/x-image, but received "image x"',
    },
    {
      env: { ENDPOINT_ACCEPT: 'a'.repeat(1025) },
      message: `Environment variable ENDPOINT_ACCEPT must be 1 to 1024 visible ASCII characters, but received "${'a'.repeat(1025)}"`,
    },
    {
      env: { ENDPOINT_BODY_ENCODING: 'json', ENDPOINT_JSON_TEMPLATE: '{"a":1}' },
      message:
        'Environment variable ENDPOINT_JSON_TEMPLATE must be JSON with exactly one "{{base64}}" or "{{tensor}}" placeholder, but received "{\\"a\\":1}"',
    },
    {
      env: { ENDPOINT_MULTIPART_FIELD: 'my file' },
      message:
        'Environment variable ENDPOINT_MULTIPART_FIELD must be a field name of 1 to 256 characters without spaces or quotes, but received "my file"',
    },
    {
      env: { TRITON_TENSOR_MODE: 'grpc' },
      message:
        'Environment variable TRITON_TENSOR_MODE must be one of json, binary, but received "grpc"',
    },
    {
      env: { TRITON_INPUT_NAME: 'x'.repeat(257) },
      message: `Environment variable TRITON_INPUT_NAME must be a tensor name of 1 to 256 characters without spaces or quotes, but received "${'x'.repeat(257)}"`,
    },
    {
      env: { MODEL_OUTPUT_MODE: 'boxes' },
      message:
        'Environment variable MODEL_OUTPUT_MODE must be one of classification, passthrough, but received "boxes"',
    },
    {
      env: { MODEL_SCORES_POINTER: 'predictions/0' },
      message:
        'Environment variable MODEL_SCORES_POINTER must be a JSON Pointer (RFC 6901) such as /predictions/0/probabilities, but received "predictions/0"',
    },
    {
      env: { MODEL_LABELS_POINTER: '/labels' },
      message:
        'Environment variable MODEL_LABELS_POINTER must be left out unless MODEL_SCORES_POINTER is set, but received "/labels"',
    },
    {
      env: { MODEL_LABELS: '["a","a"]' },
      message:
        'Environment variable MODEL_LABELS must be a JSON array of distinct, non-empty strings, but received "[\\"a\\",\\"a\\"]"',
    },
    {
      env: { MODEL_LABELS: 'a', MODEL_LABELS_FILE: '/x' },
      message:
        'Environment variable MODEL_LABELS_FILE must be left out while MODEL_LABELS is set, but received "/x"',
    },
    {
      env: { MODEL_LABELS_FILE: join(dir, 'missing.txt') },
      message: `Environment variable MODEL_LABELS_FILE must be a readable file of distinct labels (a JSON array, a JSON object with a "labels" array, or one label per line), at most 100000, but received ${JSON.stringify(join(dir, 'missing.txt'))}`,
    },
    {
      env: { ENDPOINT_PROTOCOL: 'triton', MODEL_INPUT_ENCODING: 'png' },
      message:
        'Environment variable MODEL_INPUT_ENCODING must be npy when ENDPOINT_PROTOCOL is triton with ENDPOINT_BODY_ENCODING triton (it carries a tensor), but received "png"',
    },
    {
      env: { ENDPOINT_PROTOCOL: 'huggingface', MODEL_INPUT_ENCODING: 'npy' },
      message:
        'Environment variable MODEL_INPUT_ENCODING must be png or jpeg when ENDPOINT_PROTOCOL is huggingface with ENDPOINT_BODY_ENCODING raw (it carries an image file), but received "npy"',
    },
    {
      env: { FORWARD_FIELDS: 'a*b' },
      message:
        'Environment variable FORWARD_FIELDS must be field names, or prefixes ending in * (no spaces; * only at the end), comma-separated, but received "a*b"',
    },
  ])('$message', ({ env, message }) => {
    expect(() => loadConfig({ ...base, ...env })).toThrowError(new ConfigError(message));
  });

  it.each([
    { env: { ENDPOINT_ACCEPT: 'a'.repeat(1024) } },
    { env: { TRITON_INPUT_NAME: 'x'.repeat(256) } },
    { env: { ENDPOINT_MULTIPART_FIELD: 'f'.repeat(256) } },
    { env: { FORWARD_FIELDS: '*' } },
  ])('accepts the limit itself: %o', ({ env }) => {
    expect(() => loadConfig({ ...base, ...env })).not.toThrow();
  });
});
