import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { type AppSettings, readSettings } from './settings.ts';
import { ImageInferenceStack } from './stack.ts';

export interface BuildAppOptions {
  /**
   * Context values, as `-c key=value` or cdk.json would give them; they win
   * over any context the CDK CLI passes. Keys: infra/settings.ts.
   * @default - the CLI's context, else the defaults
   */
  readonly context?: Readonly<Record<string, unknown>>;
  /**
   * Skip NodejsFunction bundling (asset hashes become placeholders). For
   * unit tests and the local gateway, which only read the template.
   * @default false
   */
  readonly skipBundling?: boolean;
  /**
   * Run cdk-nag's AwsSolutions pack on synth; an unacknowledged finding fails it.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * CDK's built-in CloudFormation schema validation on synth (slow: about
   * as long as the synth itself).
   * @default true
   */
  readonly builtinValidation?: boolean;
  /**
   * Where the cloud assembly is written.
   * @default - `cdk.out` under the CLI, else a temporary directory
   */
  readonly outdir?: string;
}

export interface BuiltApp {
  readonly app: App;
  readonly stack: ImageInferenceStack;
  readonly settings: AppSettings;
}

/** The CDK app: settings from context, the one stack, cdk-nag. Nothing is synthesised yet. */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const app = new App({
    context: { ...FEATURE_FLAGS },
    postCliContext: {
      ...options.context,
      ...(options.skipBundling === true ? { [BUNDLING_STACKS]: [] } : {}),
    },
    builtinCloudFormationValidation: options.builtinValidation ?? true,
    outdir: options.outdir,
  });
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new ImageInferenceStack(app, settings.stackName, { settings });
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return { app, stack, settings };
}

/**
 * The stack's CloudFormation template, synthesised in-process with bundling
 * skipped, no cdk-nag and no schema validation (well under a second): what
 * the local gateway reads to serve the same API as deploys.
 */
export function synthesizeTemplate(
  context: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const { app, stack } = buildApp({
    context,
    skipBundling: true,
    nag: false,
    builtinValidation: false,
  });
  return app.synth().getStackByName(stack.stackName).template as Record<string, unknown>;
}

/** True when this module is the process's entry (`cdk synth` runs it). */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  buildApp().app.synth();
}
