import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { onlyResource, resourcesOf, synthApi } from '../testing.ts';

const defaultTemplate = synthApi();

describe('ImageInferenceApi: the predict function', () => {
  it('runs Node 22 on arm64 with the default memory and a timeout under API Gateway 29 s', () => {
    const fn = onlyResource(defaultTemplate, 'AWS::Lambda::Function');
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.MemorySize).toBe(1024);
    expect(fn.Timeout).toBe(25);
    expect(fn.Handler).toBe('index.handler');
  });

  it('runs on x86_64 when asked, with memory and timeout from props', () => {
    const fn = onlyResource(
      synthApi({
        architecture: Architecture.X86_64,
        memorySizeMb: 2048,
        timeout: Duration.seconds(20),
      }),
      'AWS::Lambda::Function',
    );
    expect(fn.Architectures).toEqual(['x86_64']);
    expect(fn.MemorySize).toBe(2048);
    expect(fn.Timeout).toBe(20);
  });

  it('gets its environment from the names the handler reads (shared/predict-env.ts)', () => {
    const fn = onlyResource(
      synthApi({ functionEnvironment: { maxFiles: 3, resizeFit: 'contain', modelLabels: 'a,b' } }),
      'AWS::Lambda::Function',
    );
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toEqual({
      SAGEMAKER_ENDPOINT_NAME: 'image-moderation',
      CORS_ALLOW_ORIGINS: '*',
      MAX_FILES: '3',
      RESIZE_FIT: 'contain',
      MODEL_LABELS: 'a,b',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('copies a labels file into the bundle and names the copy (nothing in the 4 KB environment)', () => {
    const file = fileURLToPath(new URL('../../package.json', import.meta.url));
    const fn = onlyResource(
      synthApi({ functionEnvironment: { modelLabelsFile: file } }),
      'AWS::Lambda::Function',
    );
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
      MODEL_LABELS_FILE: 'model-labels-package.json',
    });
  });

  it('refuses a labels file that does not exist', () => {
    expect(() =>
      synthApi({ functionEnvironment: { modelLabelsFile: '/no/such/labels.txt' } }),
    ).toThrow(
      'functionEnvironment.modelLabelsFile must be a file on this machine (it is copied into the bundle), but received "/no/such/labels.txt"',
    );
  });

  it.each([
    {
      what: 'a built-in profile by name',
      profile: 'nsfwjs-mobilenet-v2',
      expected: 'nsfwjs-mobilenet-v2',
    },
    {
      what: 'a profile object, as JSON',
      profile: {
        name: 'resnet50',
        width: 224,
        height: 224,
        resize: 'cover',
        cropFraction: 0.875,
        resample: 'bilinear-antialias',
        shrinkOnLoad: false,
        background: '#ffffff',
        encoding: 'png',
        jpegQuality: 90,
        chromaSubsampling: '4:4:4',
      } as const,
      expected:
        '{"name":"resnet50","width":224,"height":224,"resize":"cover","cropFraction":0.875,"resample":"bilinear-antialias","shrinkOnLoad":false,"background":"#ffffff","encoding":"png","jpegQuality":90,"chromaSubsampling":"4:4:4"}',
    },
  ])('passes the model input profile as MODEL_INPUT_PROFILE: $what', ({ profile, expected }) => {
    const fn = onlyResource(synthApi({ modelInputProfile: profile }), 'AWS::Lambda::Function');
    const variables = (fn.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables.MODEL_INPUT_PROFILE).toBe(expected);
  });

  it('logs to its own log group, kept for a month', () => {
    const fn = onlyResource(defaultTemplate, 'AWS::Lambda::Function');
    const groups = resourcesOf(defaultTemplate, 'AWS::Logs::LogGroup');
    const ref = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(groups[ref]?.RetentionInDays).toBe(30);
  });
});
