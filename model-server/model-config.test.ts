import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NSFWJS_MOBILENET_V2_PROFILE, PROFILE_FIELDS } from '#shared/model-input/profile.ts';
import { ModelConfigError, parseClassifierConfig, readClassifierConfig } from './model-config.ts';

const FILE = '/models/resnet/classifier.json';
const minimal = {
  name: 'resnet',
  model: 'resnet50.onnx',
  labels: ['cat', 'dog'],
  input: { width: 224, height: 224 },
};

describe('parseClassifierConfig', () => {
  it('fills every default and resolves the model next to the file', () => {
    expect(parseClassifierConfig(minimal, FILE)).toEqual({
      name: 'resnet',
      modelPath: '/models/resnet/resnet50.onnx',
      labels: ['cat', 'dog'],
      input: {
        width: 224,
        height: 224,
        layout: 'NHWC',
        channelOrder: 'RGB',
        pixelScale: '0..1',
        mean: [0, 0, 0],
        std: [1, 1, 1],
        resize: 'fill',
        cropFraction: 1,
        resample: 'bilinear',
        shrinkOnLoad: false,
        background: '#ffffff',
        name: undefined,
      },
      output: { activation: 'none', name: undefined, topK: 2 },
    });
  });

  it('reads a PyTorch-style description', () => {
    const config = parseClassifierConfig(
      {
        ...minimal,
        model: '/opt/ml/model/model.onnx',
        input: {
          name: 'input',
          width: 224,
          height: 224,
          layout: 'NCHW',
          mean: [0.485, 0.456, 0.406],
          std: [0.229, 0.224, 0.225],
          resize: 'cover',
        },
        output: { name: 'logits', activation: 'softmax', topK: 1 },
      },
      FILE,
    );
    expect(config.modelPath).toBe('/opt/ml/model/model.onnx');
    expect(config.input).toMatchObject({ layout: 'NCHW', resize: 'cover', name: 'input' });
    expect(config.output).toEqual({ name: 'logits', activation: 'softmax', topK: 1 });
  });

  it('reads the image fields of a model input profile, and checks but ignores its wire fields', () => {
    const { input } = parseClassifierConfig(
      {
        ...minimal,
        input: {
          width: 224,
          height: 224,
          resize: 'cover',
          cropFraction: 0.875,
          resample: 'bilinear-antialias',
          background: '#00FF80',
          encoding: 'jpeg',
          jpegQuality: 85,
          chromaSubsampling: '4:2:0',
        },
      },
      FILE,
    );
    expect(input).toMatchObject({
      resize: 'cover',
      cropFraction: 0.875,
      resample: 'bilinear-antialias',
      background: '#00ff80',
    });
    expect(Object.keys(input)).not.toContain('encoding');
  });

  it('reads the embedded profile written as classifier.json input', () => {
    const { name: _, ...fields } = NSFWJS_MOBILENET_V2_PROFILE;
    const { input } = parseClassifierConfig({ ...minimal, input: fields }, FILE);
    expect(Object.keys(fields).sort()).toEqual([...PROFILE_FIELDS].sort());
    expect(input).toMatchObject({
      width: 224,
      height: 224,
      resize: 'fill',
      cropFraction: 1,
      resample: 'bilinear-align-corners',
      background: '#ffffff',
    });
  });

  it.each([
    {
      patch: { labels: [] },
      message: 'labels must be a list of distinct non-empty strings, but is []',
    },
    {
      patch: { labels: ['a', 'a'] },
      message: 'labels must be a list of distinct non-empty strings, but is ["a","a"]',
    },
    { patch: { model: undefined }, message: 'model must be a non-empty string, but is missing' },
    {
      patch: { input: { width: 0, height: 224 } },
      message: 'input.width must be an integer from 1 to 4096, but is 0',
    },
    {
      patch: { input: { width: 224 } },
      message: 'input.height must be an integer from 1 to 4096, but is missing',
    },
    ...[
      {
        input: { resize: 'inside' },
        message:
          'input.resize must be one of fill, cover, contain (the model takes a fixed-size tensor; inside and outside do not make one), but is "inside"',
      },
      {
        input: { resize: 'outside' },
        message:
          'input.resize must be one of fill, cover, contain (the model takes a fixed-size tensor; inside and outside do not make one), but is "outside"',
      },
      {
        input: { resize: 'crop' },
        message:
          'input.resize must be one of fill, cover, contain (the model takes a fixed-size tensor; inside and outside do not make one), but is "crop"',
      },
      {
        input: { resample: 'lanczos3' },
        message:
          'input.resample must be one of bilinear-align-corners, bilinear, bilinear-antialias, but is "lanczos3"',
      },
      {
        input: { cropFraction: 1.5 },
        message: 'input.cropFraction must be a number greater than 0 and at most 1, but is 1.5',
      },
      {
        input: { cropFraction: '0.875' },
        message: 'input.cropFraction must be a number greater than 0 and at most 1, but is "0.875"',
      },
      {
        input: { background: 'white' },
        message: 'input.background must be a colour as #rrggbb, but is "white"',
      },
      {
        input: { encoding: 'base64' },
        message: 'input.encoding must be one of npy, png, jpeg, but is "base64"',
      },
      {
        input: { jpegQuality: 101 },
        message: 'input.jpegQuality must be an integer from 1 to 100, but is 101',
      },
      {
        input: { chromaSubsampling: '4:2:2' },
        message: 'input.chromaSubsampling must be one of 4:4:4, 4:2:0, but is "4:2:2"',
      },
    ].map(({ input, message }) => ({ patch: { input: { ...minimal.input, ...input } }, message })),
    {
      patch: { input: { ...minimal.input, layout: 'CHW' } },
      message: 'input.layout must be one of NHWC, NCHW, but is "CHW"',
    },
    {
      patch: { input: { ...minimal.input, pixelScale: '0..2' } },
      message: 'input.pixelScale must be one of 0..1, -1..1, 0..255, but is "0..2"',
    },
    {
      patch: { input: { ...minimal.input, std: [0.2, 0, 0.2] } },
      message: 'input.std must be three positive numbers (one per channel), but is [0.2,0,0.2]',
    },
    {
      patch: { output: { topK: 3 } },
      message: 'output.topK must be an integer from 1 to 2, but is 3',
    },
    {
      patch: { output: { activation: 'relu' } },
      message: 'output.activation must be one of none, softmax, sigmoid, but is "relu"',
    },
  ])('refuses $message', ({ patch, message }) => {
    expect(() => parseClassifierConfig({ ...minimal, ...patch }, FILE)).toThrowError(
      new ModelConfigError(`${FILE}: ${message}`),
    );
  });

  it('names a missing or broken file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classifier-'));
    try {
      const file = join(dir, 'classifier.json');
      await expect(readClassifierConfig(file)).rejects.toThrowError(
        new ModelConfigError(`Cannot read the classifier description ${file}`),
      );
      await writeFile(file, '{"name": ');
      await expect(readClassifierConfig(file)).rejects.toThrowError(
        new ModelConfigError(`${file} is not valid JSON`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
