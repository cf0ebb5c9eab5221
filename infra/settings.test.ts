import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config-kit.ts';
import {
  CONTEXT_DEFAULTS,
  CONTEXT_KEYS,
  MODEL_ASSET_DIRECTORY,
  MODEL_ASSET_FILE,
  readSettings,
} from './settings.ts';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:1.0';

function read(context: Record<string, unknown>) {
  return readSettings((key) => context[key]);
}

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    expect(read({})).toEqual({
      stackName: 'ImageInferenceGateway',
      endpointName: 'image-moderation',
      stages: [{ stageName: 'dev' }, { stageName: 'prod' }],
      corsOrigins: ['*'],
      architecture: Architecture.ARM_64,
      apiGatewayAccountRole: 'create',
      modelInputProfile: 'nsfwjs-mobilenet-v2',
      model: undefined,
      // Issue 16: no protocol setting reaches the function unless set.
      functionEnvironment: {},
    });
  });

  it('has the bundled model server (model: asset) present the protocol the function speaks', () => {
    expect(read({ model: 'asset', endpointProtocol: 'triton' }).model).toMatchObject({
      containerEnvironment: { MODEL_SERVER_PROTOCOL: 'triton' },
    });
    expect(read({ model: 'asset' }).model).not.toHaveProperty('containerEnvironment');
    // A team's own image is the container itself: nothing is set on it.
    expect(read({ model: IMAGE, endpointProtocol: 'triton' }).model).not.toHaveProperty(
      'containerEnvironment',
    );
  });

  it('passes the endpoint protocol settings to the function environment', () => {
    expect(
      read({
        endpointProtocol: 'triton',
        forwardFields: ['note', 'tfs-*'],
        tritonTensorMode: 'json',
        tritonInputName: 'input_1',
        outputMode: 'classification',
        scoresPointer: '/outputs/0/data',
        labels: ['tabby, tabby cat', 'dog'],
        endpointAccept: 'application/json',
      }).functionEnvironment,
    ).toEqual({
      endpointProtocol: 'triton',
      forwardFields: 'note,tfs-*',
      tritonTensorMode: 'json',
      tritonInputName: 'input_1',
      modelOutputMode: 'classification',
      modelScoresPointer: '/outputs/0/data',
      modelLabels: '["tabby, tabby cat","dog"]',
      endpointAccept: 'application/json',
    });
    expect(read({ labels: 'a,b', forwardFields: 'note' }).functionEnvironment).toEqual({
      modelLabels: 'a,b',
      forwardFields: 'note',
    });
    expect(read({ labelsFile: 'labels.txt' }).functionEnvironment).toEqual({
      modelLabelsFile: 'labels.txt',
    });
    // TOP_K only when set, so the handler reports a model that gives fewer scores.
    expect(read({ topK: '10' }).functionEnvironment).toEqual({ topK: '10' });
    expect(read({ topK: 3 }).functionEnvironment).toEqual({ topK: '3' });
    expect(read({}).functionEnvironment).toEqual({});
  });

  it("reads apiGatewayAccountRole: existing leaves the account's CloudWatch role alone", () => {
    expect(read({ apiGatewayAccountRole: 'existing' }).apiGatewayAccountRole).toBe('existing');
  });

  it('reads -c strings: comma lists, architecture, a model image with its options', () => {
    expect(
      read({
        stages: 'dev, staging ,prod',
        corsOrigins: 'https://a.example,https://b.example',
        architecture: 'x86_64',
        model: IMAGE,
        modelMode: 'realtime',
        modelInstanceType: 'ml.m6i.large',
        modelInstanceCount: '2',
      }),
    ).toMatchObject({
      stages: [{ stageName: 'dev' }, { stageName: 'staging' }, { stageName: 'prod' }],
      corsOrigins: ['https://a.example', 'https://b.example'],
      architecture: Architecture.X86_64,
      model: { imageUri: IMAGE, mode: 'realtime', instanceType: 'ml.m6i.large', instanceCount: 2 },
    });
  });

  it('reads stages as JSON, from cdk.json or a -c string, with per-stage options', () => {
    const stages = [
      { stageName: 'dev', quotaLimit: 500 },
      { stageName: 'prod', endpointName: 'prod-model', quotaPeriod: 'MONTH', apiKeyCount: 3 },
    ];
    const expected = [
      { stageName: 'dev', quotaLimit: 500, quotaPeriod: undefined },
      {
        stageName: 'prod',
        endpointName: 'prod-model',
        quotaPeriod: Period.MONTH,
        apiKeyCount: 3,
      },
    ];
    expect(read({ stages }).stages).toEqual(expected);
    expect(read({ stages: JSON.stringify(stages) }).stages).toEqual(expected);
  });

  it('deploys the model server from model-server/Dockerfile with model=asset, serverless by default', () => {
    expect(read({ model: 'asset', modelDataUrl: 's3://b/m.tar.gz' }).model).toEqual({
      imageAssetDirectory: MODEL_ASSET_DIRECTORY,
      imageAssetFile: MODEL_ASSET_FILE,
      mode: 'serverless',
      modelDataUrl: 's3://b/m.tar.gz',
      serverlessMemorySizeMb: 2048,
      serverlessMaxConcurrency: 5,
    });
    // The build context is the repository root; the Dockerfile is the model server's.
    expect(MODEL_ASSET_DIRECTORY).toBe(fileURLToPath(new URL('../', import.meta.url)));
    expect(MODEL_ASSET_FILE).toBe('model-server/Dockerfile');
    expect(existsSync(join(MODEL_ASSET_DIRECTORY, MODEL_ASSET_FILE))).toBe(true);
  });

  const errors: Array<[string, Record<string, unknown>, string]> = [
    [
      'an unknown endpoint protocol',
      { endpointProtocol: 'keras' },
      'Context value endpointProtocol must be one of raw-image, torchserve, pytorch-dlc, tensorflow-serving, huggingface, sagemaker-image-classification, jumpstart-ic, triton, detection, but received "keras"',
    ],
    [
      'a forwarded field with a space',
      { forwardFields: 'a b' },
      'Context value forwardFields must be field names, or prefixes ending in * (no spaces), but received "a b"',
    ],
    [
      'an unknown body encoding',
      { endpointBodyEncoding: 'xml' },
      'Context value endpointBodyEncoding must be one of raw, base64, multipart, json, triton, but received "xml"',
    ],
    [
      'a top-k of 0',
      { topK: '0' },
      'Context value topK must be an integer from 1 to 1000, but received "0"',
    ],
    [
      'a top-k over the most the handler takes',
      { topK: 1001 },
      'Context value topK must be an integer from 1 to 1000, but received 1001',
    ],
    [
      'a scores pointer without its slash',
      { scoresPointer: 'predictions' },
      'Context value scoresPointer must be a JSON Pointer (RFC 6901) such as /predictions/0/probabilities, but received "predictions"',
    ],
    [
      'an unknown architecture',
      { architecture: 'arm' },
      'Context value architecture must be arm64 or x86_64, but received "arm"',
    ],
    [
      'an unknown account role choice',
      { apiGatewayAccountRole: 'skip' },
      'Context value apiGatewayAccountRole must be one of create, existing, but received "skip"',
    ],
    [
      'a number as the endpoint name',
      { endpointName: 42 },
      'Context value endpointName must be a string, but received 42',
    ],
    [
      'stages as an object',
      { stages: { dev: {} } },
      'Context value stages must be stage names or a JSON array of stages, but received {"dev":{}}',
    ],
    [
      'broken stages JSON',
      { stages: '[{"stageName":' },
      'Context value stages must be valid JSON when it starts with [, but received "[{\\"stageName\\":"',
    ],
    [
      'an unknown stage key',
      { stages: [{ stageName: 'dev', rate: 5 }] },
      'Context value stages[0].rate must be left out (a stage has stageName, endpointName, throttleRateLimitRps, throttleBurstLimit, keyRateLimitRps, keyBurstLimit, quotaLimit, quotaPeriod, apiKeyCount), but received 5',
    ],
    [
      'a stage limit as a string',
      { stages: [{ stageName: 'dev', quotaLimit: '100' }] },
      'Context value stages[0].quotaLimit must be a number, but received "100"',
    ],
    [
      'an unknown quota period',
      { stages: [{ stageName: 'dev', quotaPeriod: 'YEAR' }] },
      'Context value stages[0].quotaPeriod must be one of DAY, WEEK, MONTH, but received "YEAR"',
    ],
    [
      'model options without a model',
      { modelMode: 'realtime' },
      'Context value modelMode must be left out while model is none (the endpoint already exists), but received "realtime"',
    ],
    [
      'an unknown model mode',
      { model: IMAGE, modelMode: 'async' },
      'Context value modelMode must be serverless or realtime, but received "async"',
    ],
    [
      'a fractional instance count',
      { model: IMAGE, modelMode: 'realtime', modelInstanceCount: '1.5' },
      'Context value modelInstanceCount must be a whole number, but received "1.5"',
    ],
  ];

  it.each(errors)('refuses %s', (_what, context, message) => {
    expect(() => read(context)).toThrow(ConfigError);
    expect(() => read(context)).toThrow(new ConfigError(message));
  });
});

describe('README', () => {
  it('documents every context key with its default in the Deploy section', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### Context');
    expect(start, 'README has a "### Context" section').toBeGreaterThan(-1);
    const lines = readme.slice(start).split('\n');
    const first = lines.findIndex((line) => line.startsWith('|'));
    const rows: Record<string, string> = {};
    for (const line of lines.slice(first + 2)) {
      if (!line.startsWith('|')) break;
      const [key, fallback] = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/`/g, ''));
      rows[key as string] = fallback as string;
    }
    const expected = Object.fromEntries(
      CONTEXT_KEYS.map((key) => [
        key,
        CONTEXT_DEFAULTS[key] === '' ? '(none)' : CONTEXT_DEFAULTS[key],
      ]),
    );
    expect(rows).toEqual(expected);
  });
});
