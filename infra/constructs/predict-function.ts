import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type ConfigKey, ENV } from '#shared/predict-env.ts';
import { acknowledgeNodeFunction, LOCKFILE, NODE_BUNDLING, PROJECT_ROOT } from './node-function.ts';
import { quote, sharpCommandHooks } from './sharp-bundling.ts';

/** The handler the Lambda runs. */
const HANDLER_ENTRY = fileURLToPath(new URL('../../functions/predict/handler.ts', import.meta.url));

/** What the predict function is built from (ImageInferenceApi's resolved props). */
export interface PredictFunctionOptions {
  readonly endpointName: string;
  readonly corsOrigins: readonly string[];
  /**
   * Further handler settings, by config key (shared/predict-env.ts).
   * `modelLabelsFile` names a file on the machine that synthesises: it is
   * copied into the bundle and MODEL_LABELS_FILE names the copy, so a long
   * label list never enters the 4 KB environment.
   */
  readonly functionEnvironment: Partial<Record<ConfigKey, string | number>>;
  readonly architecture: lambda.Architecture;
  readonly memorySizeMb: number;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The function's environment, built from the same names the handler's
 * config loader reads (shared/predict-env.ts).
 */
export function predictEnvironment(options: PredictFunctionOptions): Record<string, string> {
  const environment: Record<string, string> = {
    [ENV.endpointName]: options.endpointName,
    [ENV.corsAllowOrigins]: options.corsOrigins.join(','),
  };
  for (const [key, value] of Object.entries(options.functionEnvironment)) {
    if (value !== undefined) environment[ENV[key as ConfigKey]] = String(value);
  }
  const labels = bundledLabelsFile(options);
  // Relative: the handler resolves it against LAMBDA_TASK_ROOT, the bundle.
  if (labels !== undefined) environment[ENV.modelLabelsFile] = labels.name;
  // Stack traces through the minified bundle point at the TypeScript.
  environment.NODE_OPTIONS = '--enable-source-maps';
  return environment;
}

/** The labels file to copy into the bundle, and its name there; undefined when none is set. */
function bundledLabelsFile(
  options: PredictFunctionOptions,
): { source: string; name: string } | undefined {
  const file = options.functionEnvironment.modelLabelsFile;
  if (file === undefined || Token.isUnresolved(file)) return undefined;
  const source = resolve(String(file));
  return { source, name: `model-labels-${basename(source)}` };
}

/**
 * The predict Lambda (`functions/predict/handler.ts`) under `scope`: the
 * construct `PredictFunction` and its log group `PredictFunctionLogs`. It is
 * bundled by esbuild, minified with a source map, with the SDK inside and
 * sharp installed for Lambda's platform (no Docker).
 */
export function createPredictFunction(
  scope: Construct,
  options: PredictFunctionOptions,
): NodejsFunction {
  const labels = bundledLabelsFile(options);
  if (labels !== undefined && !existsSync(labels.source)) {
    throw new Error(
      `functionEnvironment.modelLabelsFile must be a file on this machine (it is copied into the bundle), but received ${JSON.stringify(options.functionEnvironment.modelLabelsFile)}`,
    );
  }
  const sharpHooks = sharpCommandHooks(options.architecture);
  const fn = new NodejsFunction(scope, 'PredictFunction', {
    description: 'POST /{stage}/predict: multipart images -> sharp -> SageMaker InvokeEndpoint.',
    entry: HANDLER_ENTRY,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: LOCKFILE,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: options.architecture,
    memorySize: options.memorySizeMb,
    timeout: options.timeout,
    environment: predictEnvironment(options),
    // X-Ray: the Powertools Tracer in the handler adds the SageMaker call.
    tracing: lambda.Tracing.ACTIVE,
    logGroup: new logs.LogGroup(scope, 'PredictFunctionLogs', {
      retention: options.logRetention,
    }),
    bundling: {
      ...NODE_BUNDLING,
      // sharp is a native module: installed, not bundled, for Lambda's
      // platform. heic-decode (libheif as WebAssembly, 2 MB) is installed
      // too: loaded on the first HEIC only, it stays out of the bundle every
      // cold start parses.
      nodeModules: ['sharp', 'heic-decode'],
      commandHooks:
        labels === undefined
          ? sharpHooks
          : {
              ...sharpHooks,
              afterBundling: (inputDir, outputDir) => [
                ...sharpHooks.afterBundling(inputDir, outputDir),
                `cp ${quote(labels.source)} ${quote(`${outputDir}/${labels.name}`)}`,
              ],
            },
    },
  });
  acknowledgeNodeFunction(fn);
  return fn;
}
