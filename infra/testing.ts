import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import {
  ImageInferenceApi,
  type ImageInferenceApiProps,
} from './constructs/image-inference-api.ts';
import { FEATURE_FLAGS } from './feature-flags.ts';

/**
 * A stack for construct unit tests: the app's feature flags, no bundling
 * (NodejsFunction would otherwise run esbuild and npm on every synth) and no
 * CloudFormation schema validation, so a synth takes a fraction of a second.
 */
export function testStack(): Stack {
  const app = new App({
    context: { ...FEATURE_FLAGS },
    postCliContext: { [BUNDLING_STACKS]: [] },
    builtinCloudFormationValidation: false,
  });
  return new Stack(app, 'Test');
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The resources of `type`, logical id -> properties. */
export function resourcesOf(
  template: Template,
  type: string,
): Record<string, Record<string, unknown>> {
  const all = template.toJSON().Resources as Resources;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => [id, resource.Properties ?? {}]),
  );
}

/** The one resource of `type` whose properties satisfy `match`. */
export function onlyResource(
  template: Template,
  type: string,
  match: (properties: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown> {
  const found = Object.values(resourcesOf(template, type)).filter(match);
  if (found.length !== 1) {
    throw new Error(`Expected one ${type} matching, found ${found.length}`);
  }
  return found[0] as Record<string, unknown>;
}

/** The IAM policy statements of every AWS::IAM::Policy in the template. */
export function policyStatements(template: Template): Array<Record<string, unknown>> {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
    (policy) => (policy.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
  );
}

/**
 * Resolves the CloudFormation of a region-agnostic ARN into readable text:
 * `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}` ->
 * `arn:<AWS::Partition>:...`.
 */
export function readable(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return `<${record.Ref}>`;
    const join = record['Fn::Join'] as [string, unknown[]] | undefined;
    if (join !== undefined) return join[1].map(readable).join(join[0]);
    const sub = record['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, '<$1>');
    const getAtt = record['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt !== undefined) return `<${getAtt[0]}.${getAtt[1]}>`;
  }
  return JSON.stringify(value);
}

/** The template of an ImageInferenceApi `Api` (endpoint `image-moderation`) in a test stack. */
export function synthApi(props: Partial<ImageInferenceApiProps> = {}): Template {
  const stack = testStack();
  new ImageInferenceApi(stack, 'Api', { endpointName: 'image-moderation', ...props });
  return Template.fromStack(stack);
}

/** Methods by `<HttpMethod> <path part>`, e.g. `POST predict`. */
export function methodsByRoute(template: Template): Record<string, Record<string, unknown>> {
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown) =>
    resources[(ref as { Ref: string }).Ref]?.PathPart as string | undefined;
  return Object.fromEntries(
    Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).map((method) => [
      `${method.HttpMethod} ${pathOf(method.ResourceId)}`,
      method,
    ]),
  );
}

/** Stage name -> the stage's properties. */
export function stagesByName(template: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map((stage) => [
      stage.StageName as string,
      stage,
    ]),
  );
}
