import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config-kit.ts';
import { NSFWJS_MOBILENET_V2_PROFILE } from '#shared/model-input/profile.ts';
import { DEFAULTS } from '#shared/predict-env.ts';
import { loadConfig } from './config.ts';

const base = { SAGEMAKER_ENDPOINT_NAME: 'my-endpoint' };

describe('loadConfig', () => {
  it('applies every default', () => {
    const config = loadConfig(base);
    expect(config).toEqual({
      endpointName: 'my-endpoint',
      targetVariant: undefined,
      endpointContentType: 'application/x-npy',
      limits: {
        maxFiles: 8,
        maxFileBytes: 5_242_880,
        maxFields: 16,
        maxFieldBytes: 1024,
        maxParts: 32,
        maxPartHeaderPairs: 8,
        maxInputPixels: 40_000_000,
      },
      normalise: {
        profile: NSFWJS_MOBILENET_V2_PROFILE,
        maxInputPixels: 40_000_000,
        maxInputSidePx: 16_384,
        maxAvifPixels: 10_000_000,
        maxInterlacedPixels: 20_000_000,
        maxGifPixels: 25_000_000,
        maxWebpPixels: 20_000_000,
        maxRequestPixels: 100_000_000,
      },
      modelLabels: [],
      topK: 5,
      // Issue 16: today's protocol, and no form field forwarded.
      protocol: expect.objectContaining({
        name: 'raw-image',
        request: expect.objectContaining({
          body: 'raw',
          contentType: undefined,
          accept: 'application/json',
        }),
        reading: {
          mode: 'classification',
          labels: [],
          topK: 5,
          reportShortTopK: false,
          scoresAt: undefined,
          labelsAt: undefined,
        },
      }),
      forwardFields: { names: new Set(), prefixes: [] },
      invokeConcurrency: 4,
      invokeMaxAttempts: 3,
      deadlineMarginMs: 1000,
      retryAfterSeconds: 2,
      corsAllowOrigins: ['*'],
    });
    expect(config.limits.maxFiles).toBe(DEFAULTS.maxFiles);
  });

  it('reads overrides', () => {
    const config = loadConfig({
      ...base,
      SAGEMAKER_TARGET_VARIANT: 'blue',
      ENDPOINT_CONTENT_TYPE: 'application/json',
      MAX_FILES: '2',
      MODEL_INPUT_WIDTH_PX: '299',
      RESIZE_FIT: 'contain',
      FLATTEN_BACKGROUND: '#00FF00',
      MODEL_LABELS: 'Drawing, Hentai,Neutral ,Porn,Sexy',
      CORS_ALLOW_ORIGINS: 'https://a.example, http://localhost:3000',
    });
    expect(config.targetVariant).toBe('blue');
    expect(config.endpointContentType).toBe('application/json');
    expect(config.limits.maxFiles).toBe(2);
    expect(config.normalise.profile).toEqual({
      ...NSFWJS_MOBILENET_V2_PROFILE,
      name: 'nsfwjs-mobilenet-v2 (modified)',
      width: 299,
      resize: 'contain',
      background: '#00ff00',
      // JSON instances carry an image file: the tensor profile sends PNG there.
      encoding: 'png',
    });
    expect(config.modelLabels).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    expect(config.corsAllowOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
  });

  it('reads the pixel limits', () => {
    const { normalise } = loadConfig({
      ...base,
      MAX_INPUT_SIDE_PX: '8000',
      MAX_AVIF_PIXELS: '1',
      MAX_INTERLACED_PIXELS: '2',
      MAX_GIF_PIXELS: '3',
      MAX_WEBP_PIXELS: '4',
      MAX_REQUEST_PIXELS: '5',
    });
    expect(normalise).toMatchObject({
      maxInputPixels: DEFAULTS.maxInputPixels,
      maxInputSidePx: 8000,
      maxAvifPixels: 1,
      maxInterlacedPixels: 2,
      maxGifPixels: 3,
      maxWebpPixels: 4,
      maxRequestPixels: 5,
    });
  });

  it.each([
    {
      env: { ...base, MAX_AVIF_PIXELS: '0' },
      message:
        'Environment variable MAX_AVIF_PIXELS must be an integer from 1 to 4294967295, but received "0"',
    },
    {
      env: { ...base, MAX_REQUEST_PIXELS: '1e8' },
      message:
        'Environment variable MAX_REQUEST_PIXELS must be an integer from 1 to 4294967295, but received "1e8"',
    },
    {
      env: {},
      message:
        'Environment variable SAGEMAKER_ENDPOINT_NAME must name the SageMaker endpoint, but it is not set',
    },
    {
      env: { SAGEMAKER_ENDPOINT_NAME: 'bad_name' },
      message:
        'Environment variable SAGEMAKER_ENDPOINT_NAME must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "bad_name"',
    },
    {
      env: { ...base, MAX_FILES: 'eight' },
      message:
        'Environment variable MAX_FILES must be an integer from 1 to 64, but received "eight"',
    },
    {
      env: { ...base, MAX_FILES: '0' },
      message: 'Environment variable MAX_FILES must be an integer from 1 to 64, but received "0"',
    },
    {
      env: { ...base, JPEG_QUALITY: '90.5' },
      message:
        'Environment variable JPEG_QUALITY must be an integer from 1 to 100, but received "90.5"',
    },
    {
      env: { ...base, ENDPOINT_CONTENT_TYPE: 'image/webp' },
      message:
        'Environment variable ENDPOINT_CONTENT_TYPE must be one of image/jpeg, image/png, application/x-npy, application/x-image, multipart/form-data, application/json, but received "image/webp"',
    },
    {
      env: { ...base, RESIZE_FIT: 'crop' },
      message:
        'Environment variable RESIZE_FIT must be one of fill, cover, contain, inside, outside, but received "crop"',
    },
    {
      env: { ...base, FLATTEN_BACKGROUND: 'white' },
      message:
        'Environment variable FLATTEN_BACKGROUND must be a colour as #rrggbb, but received "white"',
    },
    {
      env: { ...base, MODEL_LABELS: 'a,b,a' },
      message:
        'Environment variable MODEL_LABELS must be a comma-separated list of distinct labels, but received "a,b,a"',
    },
    {
      env: { ...base, CORS_ALLOW_ORIGINS: 'https://a.example/path' },
      message:
        'Environment variable CORS_ALLOW_ORIGINS must be * or origins like https://example.com (no path), but received "https://a.example/path"',
    },
    {
      env: { ...base, MODEL_INPUT_PROFILE: 'resnet50' },
      message:
        'Environment variable MODEL_INPUT_PROFILE must be one of nsfwjs-mobilenet-v2, or a JSON profile object, but received "resnet50"',
    },
    {
      env: { ...base, MODEL_INPUT_PROFILE: '{"width": 224, "height": 224, "resample": "area"}' },
      message:
        'Environment variable MODEL_INPUT_PROFILE field resample must be one of bilinear-align-corners, bilinear, bilinear-antialias, but received "area"',
    },
    {
      env: { ...base, MODEL_INPUT_PROFILE: '{"width": 224, "height": 224, "mean": [0.5]}' },
      message:
        'Environment variable MODEL_INPUT_PROFILE must be a profile without mean (its fields are name, width, height, resize, cropFraction, resample, shrinkOnLoad, background, encoding, jpegQuality, chromaSubsampling), but received "{\\"width\\": 224, \\"height\\": 224, \\"mean\\": [0.5]}"',
    },
    {
      env: { ...base, MODEL_INPUT_WIDTH_PX: '1024', MODEL_INPUT_HEIGHT_PX: '1024' },
      message:
        'Environment variable MODEL_INPUT_ENCODING must be png or jpeg for a 1024x1024 input (its npy tensor is 12583040 bytes, over SageMaker\'s 6291456-byte request), but received "npy"',
    },
    {
      env: { ...base, MODEL_INPUT_CROP_FRACTION: '1.5' },
      message:
        'Environment variable MODEL_INPUT_CROP_FRACTION must be a number greater than 0 and at most 1, but received "1.5"',
    },
    {
      env: { ...base, MODEL_INPUT_ENCODING: 'npy', ENDPOINT_CONTENT_TYPE: 'multipart/form-data' },
      message:
        'Environment variable MODEL_INPUT_ENCODING must be png or jpeg when ENDPOINT_CONTENT_TYPE is multipart/form-data (it carries an image file), but received "npy"',
    },
    {
      env: { ...base, MODEL_INPUT_ENCODING: 'png', ENDPOINT_CONTENT_TYPE: 'image/jpeg' },
      message:
        'Environment variable MODEL_INPUT_ENCODING must be jpeg when ENDPOINT_CONTENT_TYPE is image/jpeg, but received "png"',
    },
  ])('refuses $env with a message naming variable, value and expectation', ({ env, message }) => {
    expect(() => loadConfig(env)).toThrowError(new ConfigError(message));
  });

  it.each([
    {
      what: 'the embedded profile by default: a float tensor as application/x-npy',
      env: {},
      expected: { encoding: 'npy', contentType: 'application/x-npy', name: 'nsfwjs-mobilenet-v2' },
    },
    {
      what: 'a raw body type decides the encoding',
      env: { ENDPOINT_CONTENT_TYPE: 'image/jpeg' },
      expected: {
        encoding: 'jpeg',
        contentType: 'image/jpeg',
        name: 'nsfwjs-mobilenet-v2 (modified)',
      },
    },
    {
      what: 'an encoding decides the raw body type',
      env: { MODEL_INPUT_ENCODING: 'png' },
      expected: {
        encoding: 'png',
        contentType: 'image/png',
        name: 'nsfwjs-mobilenet-v2 (modified)',
      },
    },
    {
      what: 'x-image carries PNG for a tensor profile',
      env: { ENDPOINT_CONTENT_TYPE: 'application/x-image' },
      expected: {
        encoding: 'png',
        contentType: 'application/x-image',
        name: 'nsfwjs-mobilenet-v2 (modified)',
      },
    },
    {
      what: 'a JSON profile, named',
      env: {
        MODEL_INPUT_PROFILE:
          '{"name": "resnet50-torchvision", "width": 224, "height": 224, "resize": "cover", "cropFraction": 0.875, "resample": "bilinear-antialias", "encoding": "jpeg", "jpegQuality": 95}',
      },
      expected: { encoding: 'jpeg', contentType: 'image/jpeg', name: 'resnet50-torchvision' },
    },
  ])('$what', ({ env, expected }) => {
    const config = loadConfig({ ...base, ...env });
    expect({
      encoding: config.normalise.profile.encoding,
      contentType: config.endpointContentType,
      name: config.normalise.profile.name,
    }).toEqual(expected);
  });
});
