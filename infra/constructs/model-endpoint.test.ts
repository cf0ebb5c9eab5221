import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { onlyResource, policyStatements, readable, testStack } from '../testing.ts';
import { ModelEndpoint, type ModelEndpointProps } from './model-endpoint.ts';
import { PropsError } from './validate.ts';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/model-server:1.4';

function build(props: Partial<ModelEndpointProps>) {
  const stack = testStack();
  const endpoint = new ModelEndpoint(stack, 'Model', {
    endpointName: 'Image-Moderation',
    ...props,
  });
  return { endpoint, stack, template: Template.fromStack(stack) };
}

/** Actions -> readable resources of every statement. */
function grants(template: Template): Array<[string | string[], unknown]> {
  return policyStatements(template).map((s) => [
    s.Action as string | string[],
    Array.isArray(s.Resource) ? s.Resource.map(readable) : readable(s.Resource),
  ]);
}

describe('ModelEndpoint, existing endpoint', () => {
  it('references the endpoint by name and creates nothing', () => {
    const { endpoint, template, stack } = build({});
    expect(endpoint.deployed).toBe(false);
    expect(endpoint.endpointName).toBe('Image-Moderation');
    expect(readable(stack.resolve(endpoint.endpointArn))).toBe(
      'arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/image-moderation',
    );
    expect(template.toJSON().Resources ?? {}).toEqual({});
  });
});

describe('ModelEndpoint, deployed serverless', () => {
  const { endpoint, template } = build({
    imageUri: IMAGE,
    modelDataUrl: 's3://my-models/moderation/model.tar.gz',
  });

  it('creates a model, a serverless endpoint config and the named endpoint', () => {
    expect(endpoint.deployed).toBe(true);
    expect(endpoint.mode).toBe('serverless');
    const model = onlyResource(template, 'AWS::SageMaker::Model');
    expect(model.PrimaryContainer).toEqual({
      Image: IMAGE,
      ModelDataUrl: 's3://my-models/moderation/model.tar.gz',
    });
    // Serverless Inference supports no network isolation.
    expect(model.EnableNetworkIsolation).toBe(false);
    const config = onlyResource(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.ProductionVariants).toEqual([
      {
        VariantName: 'AllTraffic',
        ModelName: { 'Fn::GetAtt': [expect.stringMatching(/^Model\w+$/), 'ModelName'] },
        ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
      },
    ]);
    expect(onlyResource(template, 'AWS::SageMaker::Endpoint')).toEqual({
      EndpointName: 'Image-Moderation',
      EndpointConfigName: {
        'Fn::GetAtt': [expect.stringMatching(/^ModelEndpointConfig\w+$/), 'EndpointConfigName'],
      },
    });
  });

  it('gives the execution role exactly: pull from its repository, read its artefact, write its logs and metrics', () => {
    const role = onlyResource(template, 'AWS::IAM::Role');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'sagemaker.amazonaws.com' },
        },
      ],
    });
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    expect(grants(template)).toEqual([
      [
        ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        'arn:<AWS::Partition>:ecr:eu-west-1:123456789012:repository/model-server',
      ],
      ['ecr:GetAuthorizationToken', '*'],
      ['s3:GetObject', 'arn:<AWS::Partition>:s3:::my-models/moderation/model.tar.gz'],
      [
        ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams'],
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/Image-Moderation',
      ],
      [
        'logs:PutLogEvents',
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/Image-Moderation:log-stream:*',
      ],
      ['cloudwatch:PutMetricData', '*'],
    ]);
    const metrics = policyStatements(template).find((s) => s.Action === 'cloudwatch:PutMetricData');
    expect(metrics?.Condition).toEqual({
      StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' },
    });
  });

  it('creates the model only after its role policy exists', () => {
    const [, model] = Object.entries(template.toJSON().Resources).find(
      ([, r]) => (r as { Type: string }).Type === 'AWS::SageMaker::Model',
    ) as [string, { DependsOn: string[] }];
    expect(model.DependsOn.some((id) => id.startsWith('ModelExecutionRoleDefaultPolicy'))).toBe(
      true,
    );
  });
});

describe('ModelEndpoint, deployed real-time', () => {
  it('runs on instances with network isolation', () => {
    const { endpoint, template } = build({
      imageUri: IMAGE,
      mode: 'realtime',
      instanceType: 'ml.m6i.xlarge',
      instanceCount: 2,
      containerEnvironment: { MODEL_NAME: 'moderation' },
    });
    expect(endpoint.mode).toBe('realtime');
    const model = onlyResource(template, 'AWS::SageMaker::Model');
    expect(model.EnableNetworkIsolation).toBe(true);
    expect(model.PrimaryContainer).toEqual({
      Image: IMAGE,
      Environment: { MODEL_NAME: 'moderation' },
    });
    expect(onlyResource(template, 'AWS::SageMaker::EndpointConfig').ProductionVariants).toEqual([
      {
        VariantName: 'AllTraffic',
        ModelName: { 'Fn::GetAtt': [expect.any(String), 'ModelName'] },
        InitialVariantWeight: 1,
        InstanceType: 'ml.m6i.xlarge',
        InitialInstanceCount: 2,
      },
    ]);
    expect(grants(template).map(([action]) => action)).not.toContain('s3:GetObject');
  });
});

describe('ModelEndpoint, image built from a directory', () => {
  it('builds the image as an x86_64 asset and lets the role pull only from the asset repository', () => {
    const directory = mkdtempSync(join(tmpdir(), 'model-image-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM scratch\n');
    const { endpoint, template, stack } = build({ imageAssetDirectory: directory });
    expect(endpoint.imageAsset).toBeDefined();
    const image = readable(
      (onlyResource(template, 'AWS::SageMaker::Model').PrimaryContainer as { Image: unknown })
        .Image,
    );
    expect(image).toMatch(
      /^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>\/cdk-hnb659fds-container-assets-<AWS::AccountId>-<AWS::Region>:[0-9a-f]{64}$/,
    );
    const pull = grants(template).find(
      ([action]) => Array.isArray(action) && action.includes('ecr:BatchGetImage'),
    );
    expect(pull?.[1]).toBe(
      'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/cdk-hnb659fds-container-assets-<AWS::AccountId>-<AWS::Region>',
    );
    const assembly = (Stage.of(stack) as Stage).synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, 'Test.assets.json'), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string; platform: string } }> };
    expect(Object.values(manifest.dockerImages).map((image) => image.source.platform)).toEqual([
      'linux/amd64',
    ]);
  });
});

describe('ModelEndpoint, image built from a context with the Dockerfile elsewhere', () => {
  it('stages what <Dockerfile>.dockerignore keeps (Docker pattern rules) and names the Dockerfile', () => {
    const context = mkdtempSync(join(tmpdir(), 'model-context-'));
    mkdirSync(join(context, 'server', 'test'), { recursive: true });
    mkdirSync(join(context, 'lib'));
    mkdirSync(join(context, 'other'));
    writeFileSync(join(context, 'server', 'Dockerfile'), 'FROM scratch\nCOPY lib ./lib\n');
    writeFileSync(
      join(context, 'server', 'Dockerfile.dockerignore'),
      '# only what the Dockerfile copies\n**\n!lib/**\n!server/**\n\n**/*.test.ts\nserver/test\n',
    );
    for (const file of [
      'root.txt',
      'lib/a.ts',
      'lib/a.test.ts',
      'other/b.ts',
      'server/main.ts',
      'server/test/helper.ts',
    ]) {
      writeFileSync(join(context, file), file);
    }
    const { stack } = build({ imageAssetDirectory: context, imageAssetFile: 'server/Dockerfile' });
    const assembly = (Stage.of(stack) as Stage).synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, 'Test.assets.json'), 'utf8'),
    ) as { dockerImages: Record<string, { source: { directory: string; dockerFile: string } }> };
    const [source] = Object.values(manifest.dockerImages).map((image) => image.source);
    expect(source?.dockerFile).toBe('server/Dockerfile');
    const staged = join(assembly.directory, source?.directory ?? '');
    const files = (readdirSync(staged, { recursive: true }) as string[])
      .filter((file) => statSync(join(staged, file)).isFile())
      .sort();
    expect(files).toEqual([
      'lib/a.ts',
      'server/Dockerfile',
      'server/Dockerfile.dockerignore',
      'server/main.ts',
    ]);
  });
});

describe('ModelEndpoint: prop validation', () => {
  const noDockerfile = mkdtempSync(join(tmpdir(), 'model-no-dockerfile-'));
  mkdirSync(join(noDockerfile, 'src'));
  const cases: Array<{ what: string; props: Partial<ModelEndpointProps>; message: string }> = [
    {
      what: 'an invalid endpoint name',
      props: { endpointName: 'model.v1' },
      message:
        'endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "model.v1"',
    },
    {
      what: 'both image sources',
      props: { imageUri: IMAGE, imageAssetDirectory: '/tmp/x' },
      message: `imageUri and imageAssetDirectory are alternatives, but received both ("${IMAGE}" and "/tmp/x")`,
    },
    {
      what: 'deployment options for an existing endpoint',
      props: { mode: 'realtime' },
      message:
        'mode only applies to a deployed model (set imageUri or imageAssetDirectory); without an image the endpoint "Image-Moderation" is referenced as it exists, but received mode="\\"realtime\\""',
    },
    {
      what: 'an image outside ECR',
      props: { imageUri: 'docker.io/library/model:1' },
      message:
        'imageUri must be an Amazon ECR image URI like 123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:tag, but received "docker.io/library/model:1"',
    },
    {
      what: 'a directory without a Dockerfile',
      props: { imageAssetDirectory: noDockerfile },
      message: `imageAssetDirectory must contain a Dockerfile, but "${join(noDockerfile, 'Dockerfile')}" does not exist`,
    },
    {
      what: 'a Dockerfile without a build context',
      props: { imageUri: IMAGE, imageAssetFile: 'server/Dockerfile' },
      message:
        'imageAssetFile must be left out without imageAssetDirectory (it names the Dockerfile there), but received "server/Dockerfile"',
    },
    {
      what: 'a context without the named Dockerfile',
      props: { imageAssetDirectory: noDockerfile, imageAssetFile: 'src/Dockerfile' },
      message: `imageAssetDirectory must contain a Dockerfile, but "${join(noDockerfile, 'src', 'Dockerfile')}" does not exist`,
    },
    {
      what: 'model data outside S3',
      props: { imageUri: IMAGE, modelDataUrl: 'https://example.com/model.tar.gz' },
      message:
        'modelDataUrl must be an S3 URL like s3://bucket/model.tar.gz, but received "https://example.com/model.tar.gz"',
    },
    {
      what: 'an unknown mode',
      props: { imageUri: IMAGE, mode: 'batch' as never },
      message: 'mode must be one of serverless, realtime, but received "batch"',
    },
    {
      what: 'an instance type for a serverless endpoint',
      props: { imageUri: IMAGE, instanceType: 'ml.c6i.large' },
      message:
        'instanceType does not apply to a serverless endpoint, but received instanceType="ml.c6i.large"',
    },
    {
      what: 'serverless memory for a real-time endpoint',
      props: { imageUri: IMAGE, mode: 'realtime', serverlessMemorySizeMb: 2048 },
      message:
        'serverlessMemorySizeMb does not apply to a realtime endpoint, but received serverlessMemorySizeMb=2048',
    },
    {
      what: 'an instance type without the ml. prefix',
      props: { imageUri: IMAGE, mode: 'realtime', instanceType: 'c6i.large' },
      message:
        'instanceType must be a SageMaker instance type like ml.c6i.large, but received "c6i.large"',
    },
    {
      what: 'no instances',
      props: { imageUri: IMAGE, mode: 'realtime', instanceCount: 0 },
      message: 'instanceCount must be an integer from 1 to 100, but received 0',
    },
    {
      what: 'serverless memory off the 1 GB steps',
      props: { imageUri: IMAGE, serverlessMemorySizeMb: 1500 },
      message:
        'serverlessMemorySizeMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, but received 1500',
    },
    {
      what: 'too much serverless concurrency',
      props: { imageUri: IMAGE, serverlessMaxConcurrency: 201 },
      message: 'serverlessMaxConcurrency must be an integer from 1 to 200, but received 201',
    },
    {
      what: 'network isolation on serverless',
      props: { imageUri: IMAGE, networkIsolation: true },
      message:
        'networkIsolation must be false or unset for a serverless endpoint (SageMaker Serverless Inference does not support it), but received true',
    },
  ];

  it.each(cases)('refuses $what', ({ props, message }) => {
    let error: unknown;
    try {
      new ModelEndpoint(testStack(), 'Model', { endpointName: 'Image-Moderation', ...props });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).message).toBe(message);
  });
});
