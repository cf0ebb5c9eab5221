/**
 * What the stack's Node.js Lambda functions (the predict function and the
 * JWT authorizer) share: the project whose lockfile pins their
 * dependencies, how esbuild bundles them, and cdk-nag's acknowledgements of
 * the managed policy, the runtime and active tracing.
 */
import { fileURLToPath } from 'node:url';
import { Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: NodejsFunction's projectRoot. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The lockfile that pins what the functions bundle and install. */
export const LOCKFILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

/**
 * esbuild for Lambda's Node 22: minified with a source map (no sources
 * inside), CommonJS, everything bundled (the SDK too: the version the tests
 * ran, not the runtime's), from the packages' ES module builds, from which
 * esbuild can drop what a function never uses (the CommonJS builds keep
 * every export: the predict bundle is a quarter smaller and its cold import
 * about 15 ms shorter, `npm run bench:cold`). No Docker.
 */
export const NODE_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  externalModules: [],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/** cdk-nag's findings every such function raises, acknowledged with the reason. */
export function acknowledgeNodeFunction(fn: lambda.IFunction): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'AWSLambdaBasicExecutionRole only allows creating log streams and putting log events; the function logs to its own log group.',
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'nodejs22.x is the runtime this project targets and tests against (a supported Node.js runtime: AWS Lambda developer guide, "Lambda runtimes"); moving to a newer Node line is a deliberate upgrade, not a default.',
  });
  // Active tracing gives the role xray:PutTraceSegments and
  // xray:PutTelemetryRecords on `*`: X-Ray supports no resource-level
  // permissions for them (Service Authorization Reference, "Actions,
  // resources, and condition keys for AWS X-Ray").
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions, so their resource is *.',
  });
}
