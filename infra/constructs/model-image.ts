import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import { DockerImageAsset, Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ecrRepositoryArn } from './arns.ts';
import { MODEL_ENDPOINT_DEFAULTS, parseImageUri } from './model-endpoint-props.ts';

/**
 * The model server image a deployed endpoint runs: built from a directory
 * by `cdk deploy` (a DockerImageAsset) or an existing image in Amazon ECR,
 * and the execution role's permission to pull it.
 */

/** Where the image comes from (ModelEndpointProps, one of the two set). */
export interface ModelImageSource {
  readonly imageUri?: string;
  readonly imageAssetDirectory?: string;
  readonly imageAssetFile?: string;
}

/** The image the model's container runs. */
export interface ModelImage {
  /** What `CfnModel`'s container names as its image. */
  readonly imageUri: string;
  /** The asset, when the image is built here. */
  readonly asset?: DockerImageAsset;
}

/**
 * The patterns of `<file>.dockerignore` next to the Dockerfile (`file`
 * relative to `directory`), the ignore file BuildKit prefers to the
 * context's `.dockerignore`; undefined when there is none. Comments and
 * blank lines are dropped, as Docker drops them. Source: Docker docs,
 * "Build context" (.dockerignore files, "Filename and location").
 */
export function dockerignorePatterns(directory: string, file: string): string[] | undefined {
  const path = join(directory, `${file}.dockerignore`);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The image for `source`, with `role` allowed to pull it and nothing more.
 * A built image is the construct `Image` under `scope`, for x86_64.
 */
export function modelImage(scope: Construct, role: iam.Role, source: ModelImageSource): ModelImage {
  if (source.imageAssetDirectory !== undefined) {
    const file = source.imageAssetFile ?? MODEL_ENDPOINT_DEFAULTS.imageAssetFile;
    const patterns = dockerignorePatterns(source.imageAssetDirectory, file);
    const asset = new DockerImageAsset(scope, 'Image', {
      directory: source.imageAssetDirectory,
      file: source.imageAssetFile,
      // The context staged (and hashed) is what Docker would send: what the
      // Dockerfile's own ignore file keeps, and the Dockerfile itself.
      exclude: patterns && [...patterns, `!${file}`],
      ignoreMode: patterns && IgnoreMode.DOCKER,
      // SageMaker hosting (and every serverless endpoint) runs x86_64.
      platform: Platform.LINUX_AMD64,
    });
    asset.repository.grantPull(role);
    return { imageUri: asset.imageUri, asset };
  }
  const imageUri = source.imageUri as string;
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:GetDownloadUrlForLayer',
        'ecr:BatchGetImage',
      ],
      resources: [ecrRepositoryArn(scope, ...parseImageUri(imageUri))],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
  );
  return { imageUri };
}
