import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { testStack } from '../testing.ts';
import { ImageInferenceApi, type ImageInferenceApiProps } from './image-inference-api.ts';
import { PropsError } from './validate.ts';

describe('ImageInferenceApi: prop validation', () => {
  const cases: Array<{ what: string; props: Partial<ImageInferenceApiProps>; message: string }> = [
    {
      what: 'an invalid endpoint name',
      props: { endpointName: 'image_moderation' },
      message:
        'endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "image_moderation"',
    },
    {
      what: 'no stages',
      props: { stages: [] },
      message: 'stages must list at least one stage, but received []',
    },
    {
      what: 'a stage name with a slash',
      props: { stages: [{ stageName: 'dev/1' }] },
      message: 'stages[0].stageName must be 1-128 of A-Z a-z 0-9 _ -, but received "dev/1"',
    },
    {
      what: 'a stage twice',
      props: { stages: [{ stageName: 'dev' }, { stageName: 'dev' }] },
      message: 'stages[1].stageName must be unique, but "dev" is listed twice',
    },
    {
      what: "an invalid stage's endpoint name",
      props: { stages: [{ stageName: 'dev', endpointName: '-x' }] },
      message:
        'stages[0].endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "-x"',
    },
    {
      what: 'a negative rate',
      props: { stages: [{ stageName: 'dev', throttleRateLimitRps: -1 }] },
      message: 'stages[0].throttleRateLimitRps must be a number from 0 to 10000, but received -1',
    },
    {
      what: 'a fractional burst',
      props: { stages: [{ stageName: 'dev', keyBurstLimit: 2.5 }] },
      message: 'stages[0].keyBurstLimit must be an integer from 0 to 5000, but received 2.5',
    },
    {
      what: 'a zero quota',
      props: { stages: [{ stageName: 'dev', quotaLimit: 0 }] },
      message: 'stages[0].quotaLimit must be an integer from 1 to 2147483647, but received 0',
    },
    {
      what: 'no API key',
      props: { stages: [{ stageName: 'dev', apiKeyCount: 0 }] },
      message: 'stages[0].apiKeyCount must be an integer from 1 to 10, but received 0',
    },
    {
      what: 'an unknown model input profile',
      props: { modelInputProfile: 'resnet' },
      message:
        'modelInputProfile must be one of nsfwjs-mobilenet-v2, or a JSON profile object, but received "resnet"',
    },
    {
      what: 'a model input profile with an unknown kernel',
      props: { modelInputProfile: '{"width": 224, "height": 224, "resample": "bicubic"}' },
      message:
        'modelInputProfile.resample must be one of bilinear-align-corners, bilinear, bilinear-antialias, but received "bicubic"',
    },
    {
      what: 'an origin with a path',
      props: { corsOrigins: ['https://example.com/app'] },
      message:
        'corsOrigins must hold * or origins like https://example.com (scheme and host, no path), but received "https://example.com/app"',
    },
    {
      what: '* with an origin',
      props: { corsOrigins: ['*', 'https://example.com'] },
      message:
        'corsOrigins must be [\'*\'] alone or origins only, but received "*,https://example.com"',
    },
    {
      what: 'binary types that miss multipart',
      props: { binaryMediaTypes: ['image/*'] },
      message:
        'binaryMediaTypes must cover multipart/form-data (or uploads reach the Lambda as corrupted text), but received "image/*"',
    },
    {
      what: 'a malformed media type',
      props: { binaryMediaTypes: ['multipart'] },
      message:
        'binaryMediaTypes must hold media types like image/* or */*, but received "multipart"',
    },
    {
      what: 'too little memory',
      props: { memorySizeMb: 64 },
      message: 'memorySizeMb must be an integer from 128 to 10240, but received 64',
    },
    {
      what: "a timeout at API Gateway's",
      props: { timeout: Duration.seconds(29) },
      message: "timeout must be from 1 s to less than API Gateway's 29 s, but received 29 seconds",
    },
    {
      what: 'the endpoint name in functionEnvironment',
      props: { functionEnvironment: { endpointName: 'other' } },
      message:
        'functionEnvironment.endpointName must be left out (its own prop sets SAGEMAKER_ENDPOINT_NAME), but received "other"',
    },
    {
      what: 'a non-numeric Retry-After',
      props: { functionEnvironment: { retryAfterSeconds: 'soon' } },
      message:
        'functionEnvironment.retryAfterSeconds must be an integer from 1 to 3600, but received NaN',
    },
  ];

  it.each(cases)('refuses $what', ({ props, message }) => {
    let error: unknown;
    try {
      new ImageInferenceApi(testStack(), 'Api', { endpointName: 'image-moderation', ...props });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).message).toBe(message);
    expect((error as PropsError).constructPath).toBe('Test/Api');
  });
});
