/**
 * The synthesised stack read in this process: for tests and tools that
 * inspect the template. The local stack itself synthesises in a child
 * process (synth.ts), so the gateway's heap never holds the CDK.
 */
import { synthesizeTemplate } from '../infra/app.ts';
import { type ApiModel, readApiModel } from './emulation/api-model.ts';

/**
 * The CloudFormation template of the stack synthesised with `context`
 * (none: the app's defaults), as the local gateway reads it.
 * @throws ConfigError when a context value is one the app refuses
 */
export function localTemplate(
  context: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return synthesizeTemplate(context);
}

/** The API as the local gateway runs it: `localTemplate(context)` read into the gateway's model. */
export function localApiModel(context: Readonly<Record<string, unknown>> = {}): ApiModel {
  return readApiModel(localTemplate(context));
}
