import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Token, Validations } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { isEndpointName } from '#shared/aws-facts.ts';
import { ecrRepositoryArn, endpointArn, s3ObjectArn, sageMakerLogGroupArn } from './arns.ts';
import { checkInteger, checkPattern, fail, show } from './validate.ts';

/** How a deployed model is hosted. */
export type ModelEndpointMode = 'serverless' | 'realtime';

export const MODEL_ENDPOINT_MODES: readonly ModelEndpointMode[] = ['serverless', 'realtime'];

/** The one production variant a deployed endpoint has. */
export const VARIANT_NAME = 'AllTraffic';

export const MODEL_ENDPOINT_DEFAULTS = {
  mode: 'serverless' as ModelEndpointMode,
  instanceType: 'ml.c6i.large',
  instanceCount: 1,
  serverlessMemorySizeMb: 2048,
  serverlessMaxConcurrency: 5,
} as const;

/** Serverless memory sizes SageMaker accepts. */
export const SERVERLESS_MEMORY_SIZES_MB = [1024, 2048, 3072, 4096, 5120, 6144] as const;

export interface ModelEndpointProps {
  /** The endpoint's name: the existing endpoint to use, or the one to create. */
  readonly endpointName: string;
  /**
   * The model server image in Amazon ECR
   * (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`).
   * With neither this nor `imageAssetDirectory`, the endpoint already exists
   * and is only referenced.
   * @default - no image URI
   */
  readonly imageUri?: string;
  /**
   * A directory with a Dockerfile, built into the model image by
   * `cdk deploy` (which then needs Docker; `cdk synth` does not).
   * @default - no image asset
   */
  readonly imageAssetDirectory?: string;
  /**
   * The model artefact (`s3://bucket/key.tar.gz`), unpacked into /opt/ml/model.
   * @default - the image holds the model
   */
  readonly modelDataUrl?: string;
  /**
   * Serverless (pay per request, cold starts, CPU only) or real-time instances.
   * @default 'serverless'
   */
  readonly mode?: ModelEndpointMode;
  /**
   * Real-time: the instance type.
   * @default 'ml.c6i.large'
   */
  readonly instanceType?: string;
  /**
   * Real-time: the number of instances.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Serverless: memory per concurrent invocation, 1024 to 6144 in steps of 1024.
   * @default 2048
   */
  readonly serverlessMemorySizeMb?: number;
  /**
   * Serverless: invocations processed at once (1 to 200).
   * @default 5
   */
  readonly serverlessMaxConcurrency?: number;
  /**
   * Run the container with no network access at all (real-time only:
   * serverless endpoints do not support network isolation).
   * @default - true for real-time, false for serverless
   */
  readonly networkIsolation?: boolean;
  /**
   * Environment variables of the model container.
   * @default - none
   */
  readonly containerEnvironment?: Readonly<Record<string, string>>;
}

const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*)(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})?$/;
const S3_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;

/** The options that only mean something when a model is deployed. */
const DEPLOY_ONLY = [
  'modelDataUrl',
  'mode',
  'instanceType',
  'instanceCount',
  'serverlessMemorySizeMb',
  'serverlessMaxConcurrency',
  'networkIsolation',
  'containerEnvironment',
] as const;
const REALTIME_ONLY = ['instanceType', 'instanceCount'] as const;
const SERVERLESS_ONLY = ['serverlessMemorySizeMb', 'serverlessMaxConcurrency'] as const;

/**
 * A SageMaker endpoint the API invokes: either an existing one, referenced
 * by name, or a model deployed here (CfnModel -> CfnEndpointConfig ->
 * CfnEndpoint) with an execution role that can pull its image, read its
 * artefact and write its logs, and nothing else.
 */
export class ModelEndpoint extends Construct {
  readonly endpointName: string;
  /** The ARN IAM matches (lower case, as SageMaker stores it). */
  readonly endpointArn: string;
  /** True when this construct creates the endpoint. */
  readonly deployed: boolean;
  readonly mode: ModelEndpointMode | undefined;
  readonly executionRole?: iam.Role;
  readonly imageAsset?: DockerImageAsset;
  readonly model?: sagemaker.CfnModel;
  readonly endpointConfig?: sagemaker.CfnEndpointConfig;
  readonly endpoint?: sagemaker.CfnEndpoint;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.endpointName) && !isEndpointName(props.endpointName)) {
      fail(
        this,
        `endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received ${show(props.endpointName)}`,
      );
    }
    this.endpointName = props.endpointName;
    this.endpointArn = endpointArn(this, props.endpointName);

    if (props.imageUri !== undefined && props.imageAssetDirectory !== undefined) {
      fail(
        this,
        `imageUri and imageAssetDirectory are alternatives, but received both (${show(props.imageUri)} and ${show(props.imageAssetDirectory)})`,
      );
    }
    this.deployed = props.imageUri !== undefined || props.imageAssetDirectory !== undefined;
    if (!this.deployed) {
      for (const key of DEPLOY_ONLY) {
        if (props[key] !== undefined) {
          fail(
            this,
            `${key} only applies to a deployed model (set imageUri or imageAssetDirectory); without an image the endpoint ${show(props.endpointName)} is referenced as it exists, but received ${key}=${show(JSON.stringify(props[key]))}`,
          );
        }
      }
      this.mode = undefined;
      return;
    }

    const mode = props.mode ?? MODEL_ENDPOINT_DEFAULTS.mode;
    this.mode = mode;
    this.validateDeployment(props, mode);
    const networkIsolation = props.networkIsolation ?? mode === 'realtime';

    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of endpoint ${props.endpointName}: image pull, model artefact, logs.`,
    });
    this.executionRole = role;

    let image: string;
    if (props.imageAssetDirectory !== undefined) {
      this.imageAsset = new DockerImageAsset(this, 'Image', {
        directory: props.imageAssetDirectory,
        // SageMaker hosting (and every serverless endpoint) runs x86_64.
        platform: Platform.LINUX_AMD64,
      });
      this.imageAsset.repository.grantPull(role);
      image = this.imageAsset.imageUri;
    } else {
      image = props.imageUri as string;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:GetDownloadUrlForLayer',
            'ecr:BatchGetImage',
          ],
          resources: [ecrRepositoryArn(this, ...parseImageUri(image))],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      );
    }
    if (props.modelDataUrl !== undefined) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [s3ObjectArn(this, ...parseS3Url(props.modelDataUrl))],
        }),
      );
    }
    const logGroupArn = sageMakerLogGroupArn(this, props.endpointName);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams'],
        resources: [logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [`${logGroupArn}:log-stream:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    this.acknowledgeRole(role, props.endpointName);

    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: role.roleArn,
      enableNetworkIsolation: networkIsolation,
      primaryContainer: {
        image,
        modelDataUrl: props.modelDataUrl,
        environment:
          props.containerEnvironment === undefined ? undefined : { ...props.containerEnvironment },
      },
    });
    // SageMaker checks the role when the model is created: its policy first.
    this.model.node.addDependency(role);

    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty =
      mode === 'realtime'
        ? {
            variantName: VARIANT_NAME,
            modelName: this.model.attrModelName,
            initialVariantWeight: 1,
            instanceType: props.instanceType ?? MODEL_ENDPOINT_DEFAULTS.instanceType,
            initialInstanceCount: props.instanceCount ?? MODEL_ENDPOINT_DEFAULTS.instanceCount,
          }
        : {
            variantName: VARIANT_NAME,
            modelName: this.model.attrModelName,
            serverlessConfig: {
              memorySizeInMb:
                props.serverlessMemorySizeMb ?? MODEL_ENDPOINT_DEFAULTS.serverlessMemorySizeMb,
              maxConcurrency:
                props.serverlessMaxConcurrency ?? MODEL_ENDPOINT_DEFAULTS.serverlessMaxConcurrency,
            },
          };
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [variant],
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });
  }

  private validateDeployment(props: ModelEndpointProps, mode: ModelEndpointMode): void {
    if (!MODEL_ENDPOINT_MODES.includes(mode)) {
      fail(
        this,
        `mode must be one of ${MODEL_ENDPOINT_MODES.join(', ')}, but received ${show(mode)}`,
      );
    }
    const other = mode === 'realtime' ? SERVERLESS_ONLY : REALTIME_ONLY;
    for (const key of other) {
      if (props[key] !== undefined) {
        fail(
          this,
          `${key} does not apply to a ${mode} endpoint, but received ${key}=${show(props[key])}`,
        );
      }
    }
    for (const key of ['imageUri', 'modelDataUrl'] as const) {
      if (Token.isUnresolved(props[key])) {
        fail(
          this,
          `${key} must be a literal string (the execution role's policy names what it points at), but received a token`,
        );
      }
    }
    if (props.imageUri !== undefined) {
      checkPattern(
        this,
        'imageUri',
        props.imageUri,
        ECR_IMAGE,
        'an Amazon ECR image URI like 123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:tag',
      );
    }
    if (
      props.imageAssetDirectory !== undefined &&
      !existsSync(join(props.imageAssetDirectory, 'Dockerfile'))
    ) {
      fail(
        this,
        `imageAssetDirectory must contain a Dockerfile, but ${show(join(props.imageAssetDirectory, 'Dockerfile'))} does not exist`,
      );
    }
    if (props.modelDataUrl !== undefined) {
      checkPattern(
        this,
        'modelDataUrl',
        props.modelDataUrl,
        S3_URL,
        'an S3 URL like s3://bucket/model.tar.gz',
      );
    }
    if (props.instanceType !== undefined) {
      checkPattern(
        this,
        'instanceType',
        props.instanceType,
        INSTANCE_TYPE,
        'a SageMaker instance type like ml.c6i.large',
      );
    }
    if (props.instanceCount !== undefined) {
      checkInteger(this, 'instanceCount', props.instanceCount, 1, 100);
    }
    const memory = props.serverlessMemorySizeMb;
    if (
      memory !== undefined &&
      !Token.isUnresolved(memory) &&
      !(SERVERLESS_MEMORY_SIZES_MB as readonly number[]).includes(memory)
    ) {
      fail(
        this,
        `serverlessMemorySizeMb must be one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}, but received ${show(memory)}`,
      );
    }
    if (props.serverlessMaxConcurrency !== undefined) {
      checkInteger(this, 'serverlessMaxConcurrency', props.serverlessMaxConcurrency, 1, 200);
    }
    if (mode === 'serverless' && props.networkIsolation === true) {
      fail(
        this,
        'networkIsolation must be false or unset for a serverless endpoint (SageMaker Serverless Inference does not support it), but received true',
      );
    }
  }

  /** The wildcards left in the execution role, each one AWS's own constraint. */
  private acknowledgeRole(role: iam.Role, endpointName: string): void {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions; PutMetricData is limited to /aws/sagemaker/* namespaces by condition.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/${endpointName}:log-stream:*]`,
      reason:
        'SageMaker names the log streams of its endpoint log group after instances that do not exist yet; the wildcard covers streams of this one endpoint only.',
    });
  }
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]` -> account, region, repository. */
function parseImageUri(uri: string): [string, string, string] {
  const [, account, region, repository] = ECR_IMAGE.exec(uri) ?? [];
  return [account ?? '', region ?? '', repository ?? ''];
}

/** `s3://bucket/key` -> bucket, key. */
function parseS3Url(url: string): [string, string] {
  const [, bucket, key] = S3_URL.exec(url) ?? [];
  return [bucket ?? '', key ?? ''];
}
