import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config-kit.ts';
import { DEFAULTS } from '#shared/predict-env.ts';
import { loadConfig } from './config.ts';

const base = { SAGEMAKER_ENDPOINT_NAME: 'my-endpoint' };

describe('loadConfig', () => {
  it('applies every default', () => {
    const config = loadConfig(base);
    expect(config).toEqual({
      endpointName: 'my-endpoint',
      targetVariant: undefined,
      endpointContentType: 'image/jpeg',
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
        widthPx: 224,
        heightPx: 224,
        fit: 'cover',
        background: '#ffffff',
        jpegQuality: 90,
        maxInputPixels: 40_000_000,
      },
      modelLabels: [],
      topK: 5,
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
    expect(config.normalise.widthPx).toBe(299);
    expect(config.normalise.fit).toBe('contain');
    expect(config.normalise.background).toBe('#00ff00');
    expect(config.modelLabels).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    expect(config.corsAllowOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
  });

  it.each([
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
      env: { ...base, ENDPOINT_CONTENT_TYPE: 'image/png' },
      message:
        'Environment variable ENDPOINT_CONTENT_TYPE must be one of image/jpeg, application/x-image, multipart/form-data, application/json, but received "image/png"',
    },
    {
      env: { ...base, RESIZE_FIT: 'crop' },
      message:
        'Environment variable RESIZE_FIT must be one of cover, contain, fill, inside, outside, but received "crop"',
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
  ])('refuses $env with a message naming variable, value and expectation', ({ env, message }) => {
    expect(() => loadConfig(env)).toThrowError(new ConfigError(message));
  });
});
