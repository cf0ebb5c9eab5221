import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import {
  SAGEMAKER_SERVERLESS_MAX_CONCURRENCY,
  SAGEMAKER_SERVERLESS_MEMORY_SIZES_MB,
} from '#shared/aws-facts.ts';
import { checkEndpointName, checkInteger, checkPattern, fail, show } from './validate.ts';

/**
 * ModelEndpoint's props: their shapes, their defaults (the same values as
 * the `@default` tags) and the checks that throw a PropsError naming the prop.
 */

/** How a deployed model is hosted. */
export type ModelEndpointMode = 'serverless' | 'realtime';

export const MODEL_ENDPOINT_MODES: readonly ModelEndpointMode[] = ['serverless', 'realtime'];

export const MODEL_ENDPOINT_DEFAULTS = {
  mode: 'serverless' as ModelEndpointMode,
  instanceType: 'ml.c6i.large',
  instanceCount: 1,
  serverlessMemorySizeMb: 2048,
  serverlessMaxConcurrency: 5,
  imageAssetFile: 'Dockerfile',
  autoScaling: { minInstances: 1, maxInstances: 4, targetInvocationsPerInstance: 600 },
} as const;

/** Application Auto Scaling of a real-time variant (target tracking). */
export interface ModelAutoScaling {
  /** Fewest instances (1 or more: a real-time variant cannot scale to zero this way). */
  readonly minInstances: number;
  /** Most instances. */
  readonly maxInstances: number;
  /** SageMakerVariantInvocationsPerInstance to hold: invocations per instance per minute. */
  readonly targetInvocationsPerInstance: number;
}

/**
 * Serverless memory sizes SageMaker accepts. Source: SageMaker API
 * reference, ProductionVariantServerlessConfig `MemorySizeInMB`.
 */
export const SERVERLESS_MEMORY_SIZES_MB = SAGEMAKER_SERVERLESS_MEMORY_SIZES_MB;

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
   * The Docker build context the model image is built from by `cdk deploy`
   * (which then needs Docker; `cdk synth` does not). What of it is staged is
   * decided as Docker decides what it sends: by `<imageAssetFile>.dockerignore`
   * when that file exists (BuildKit's Dockerfile-specific ignore file, read
   * with Docker's pattern rules), else by the context's `.dockerignore`.
   * @default - no image asset
   */
  readonly imageAssetDirectory?: string;
  /**
   * The Dockerfile, relative to `imageAssetDirectory` (e.g.
   * `model-server/Dockerfile` when the context is the repository root).
   * Only with `imageAssetDirectory`.
   * @default 'Dockerfile'
   */
  readonly imageAssetFile?: string;
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
   * Real-time: scale the variant between min and max instances, tracking
   * invocations per instance per minute.
   * @default { minInstances: 1, maxInstances: 4, targetInvocationsPerInstance: 600 }
   */
  readonly autoScaling?: ModelAutoScaling;
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
  'autoScaling',
] as const;
const REALTIME_ONLY = ['instanceType', 'instanceCount', 'autoScaling'] as const;
const SERVERLESS_ONLY = ['serverlessMemorySizeMb', 'serverlessMaxConcurrency'] as const;

/**
 * The checks every endpoint passes: its name, one image source at most,
 * and no deployment option without an image.
 * @returns whether a model is deployed (an image is given)
 */
export function checkEndpointProps(scope: IConstruct, props: ModelEndpointProps): boolean {
  checkEndpointName(scope, 'endpointName', props.endpointName);
  if (props.imageUri !== undefined && props.imageAssetDirectory !== undefined) {
    fail(
      scope,
      `imageUri and imageAssetDirectory are alternatives, but received both (${show(props.imageUri)} and ${show(props.imageAssetDirectory)})`,
    );
  }
  if (props.imageAssetFile !== undefined && props.imageAssetDirectory === undefined) {
    fail(
      scope,
      `imageAssetFile must be left out without imageAssetDirectory (it names the Dockerfile there), but received ${show(props.imageAssetFile)}`,
    );
  }
  const deployed = props.imageUri !== undefined || props.imageAssetDirectory !== undefined;
  if (!deployed) {
    for (const key of DEPLOY_ONLY) {
      if (props[key] !== undefined) {
        fail(
          scope,
          `${key} only applies to a deployed model (set imageUri or imageAssetDirectory); without an image the endpoint ${show(props.endpointName)} is referenced as it exists, but received ${key}=${show(JSON.stringify(props[key]))}`,
        );
      }
    }
  }
  return deployed;
}

/** The checks of a deployed model's options, for hosting `mode`. */
export function checkDeploymentProps(
  scope: IConstruct,
  props: ModelEndpointProps,
  mode: ModelEndpointMode,
): void {
  if (!MODEL_ENDPOINT_MODES.includes(mode)) {
    fail(
      scope,
      `mode must be one of ${MODEL_ENDPOINT_MODES.join(', ')}, but received ${show(mode)}`,
    );
  }
  const other = mode === 'realtime' ? SERVERLESS_ONLY : REALTIME_ONLY;
  for (const key of other) {
    if (props[key] !== undefined) {
      fail(
        scope,
        `${key} does not apply to a ${mode} endpoint, but received ${key}=${show(typeof props[key] === 'object' ? JSON.stringify(props[key]) : props[key])}`,
      );
    }
  }
  for (const key of ['imageUri', 'modelDataUrl'] as const) {
    if (Token.isUnresolved(props[key])) {
      fail(
        scope,
        `${key} must be a literal string (the execution role's policy names what it points at), but received a token`,
      );
    }
  }
  if (props.imageUri !== undefined) {
    checkPattern(
      scope,
      'imageUri',
      props.imageUri,
      ECR_IMAGE,
      'an Amazon ECR image URI like 123456789012.dkr.ecr.us-east-1.amazonaws.com/repository:tag',
    );
  }
  if (props.imageAssetDirectory !== undefined) {
    const dockerfile = join(
      props.imageAssetDirectory,
      props.imageAssetFile ?? MODEL_ENDPOINT_DEFAULTS.imageAssetFile,
    );
    if (!existsSync(dockerfile)) {
      fail(
        scope,
        `imageAssetDirectory must contain a Dockerfile, but ${show(dockerfile)} does not exist`,
      );
    }
  }
  if (props.modelDataUrl !== undefined) {
    checkPattern(
      scope,
      'modelDataUrl',
      props.modelDataUrl,
      S3_URL,
      'an S3 URL like s3://bucket/model.tar.gz',
    );
  }
  if (props.instanceType !== undefined) {
    checkPattern(
      scope,
      'instanceType',
      props.instanceType,
      INSTANCE_TYPE,
      'a SageMaker instance type like ml.c6i.large',
    );
  }
  if (props.instanceCount !== undefined) {
    checkInteger(scope, 'instanceCount', props.instanceCount, 1, 100);
  }
  if (props.autoScaling !== undefined) checkAutoScaling(scope, props);
  const memory = props.serverlessMemorySizeMb;
  if (
    memory !== undefined &&
    !Token.isUnresolved(memory) &&
    !(SERVERLESS_MEMORY_SIZES_MB as readonly number[]).includes(memory)
  ) {
    fail(
      scope,
      `serverlessMemorySizeMb must be one of ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}, but received ${show(memory)}`,
    );
  }
  if (props.serverlessMaxConcurrency !== undefined) {
    checkInteger(
      scope,
      'serverlessMaxConcurrency',
      props.serverlessMaxConcurrency,
      1,
      SAGEMAKER_SERVERLESS_MAX_CONCURRENCY,
    );
  }
  if (mode === 'serverless' && props.networkIsolation === true) {
    fail(
      scope,
      'networkIsolation must be false or unset for a serverless endpoint (SageMaker Serverless Inference does not support it), but received true',
    );
  }
}

/** min <= initial count <= max, each a sensible whole number. */
function checkAutoScaling(scope: IConstruct, props: ModelEndpointProps): void {
  const scaling = props.autoScaling as ModelAutoScaling;
  checkInteger(scope, 'autoScaling.minInstances', scaling.minInstances, 1, 100);
  checkInteger(scope, 'autoScaling.maxInstances', scaling.maxInstances, scaling.minInstances, 100);
  checkInteger(
    scope,
    'autoScaling.targetInvocationsPerInstance',
    scaling.targetInvocationsPerInstance,
    1,
    1_000_000,
  );
  const count = props.instanceCount ?? MODEL_ENDPOINT_DEFAULTS.instanceCount;
  if (count < scaling.minInstances || count > scaling.maxInstances) {
    fail(
      scope,
      `instanceCount must be from autoScaling.minInstances to autoScaling.maxInstances (${scaling.minInstances} to ${scaling.maxInstances}), but received ${show(count)}`,
    );
  }
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag]` -> account, region, repository. */
export function parseImageUri(uri: string): [string, string, string] {
  const [, account, region, repository] = ECR_IMAGE.exec(uri) ?? [];
  return [account ?? '', region ?? '', repository ?? ''];
}

/** `s3://bucket/key` -> bucket, key. */
export function parseS3Url(url: string): [string, string] {
  const [, bucket, key] = S3_URL.exec(url) ?? [];
  return [bucket ?? '', key ?? ''];
}
