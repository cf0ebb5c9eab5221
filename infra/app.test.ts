import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp, synthesizeTemplate } from './app.ts';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { readSettings } from './settings.ts';
import { ImageInferenceStack } from './stack.ts';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:1.0';

/** Synthesises with cdk-nag on; an unacknowledged finding throws the report. */
function synthWithNag(context: Record<string, unknown>): void {
  buildApp({ context, skipBundling: true, builtinValidation: false }).app.synth();
}

/** Asset hashes change with every source edit: mask them so the snapshot shows shape. */
function maskAssetHashes(template: unknown): unknown {
  return JSON.parse(
    JSON.stringify(template).replace(
      /[0-9a-f]{64}(\.zip)?/g,
      (_, zip) => `<asset-hash>${zip ?? ''}`,
    ),
  );
}

describe('the app under cdk-nag (AwsSolutions)', () => {
  it.each([
    ['an existing endpoint (the default)', {}],
    [
      'a serverless model from an image URI and S3 model data',
      { model: IMAGE, modelDataUrl: 's3://models/m.tar.gz' },
    ],
    ['a real-time model', { model: IMAGE, modelMode: 'realtime', modelInstanceCount: '2' }],
    [
      'x86_64, three stages and two origins',
      {
        architecture: 'x86_64',
        stages: 'dev,qa,prod',
        corsOrigins: 'https://a.example,https://b.example',
      },
    ],
  ])('has no unacknowledged finding with %s', (_what, context) => {
    expect(() => synthWithNag(context)).not.toThrow();
  });

  it('has no unacknowledged finding with a model image built from a directory', () => {
    const directory = mkdtempSync(join(tmpdir(), 'model-image-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM scratch\n');
    const app = new App({
      context: { ...FEATURE_FLAGS },
      postCliContext: { [BUNDLING_STACKS]: [] },
      builtinCloudFormationValidation: false,
    });
    const settings = readSettings(() => undefined);
    new ImageInferenceStack(app, 'Gateway', {
      settings: { ...settings, model: { imageAssetDirectory: directory } },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const { app, stack } = buildApp({ skipBundling: true, builtinValidation: false });
    new iam.Role(stack, 'Careless', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    expect(() => app.synth()).toThrow(
      "Acknowledge with 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]'",
    );
  });
});

describe('buildApp', () => {
  it('names the stack from context and lets explicit context win', () => {
    const { stack, settings } = buildApp({
      context: { stackName: 'Gateway-Test', endpointName: 'other-model' },
      skipBundling: true,
      nag: false,
    });
    expect(stack.stackName).toBe('Gateway-Test');
    expect(settings.endpointName).toBe('other-model');
  });

  it('sets the feature flags in code, so an in-process synth matches the CLI', () => {
    const { app } = buildApp({ skipBundling: true, nag: false });
    for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
      expect(app.node.tryGetContext(flag)).toBe(value);
    }
  });
});

describe('synthesizeTemplate', () => {
  const template = synthesizeTemplate() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Outputs: Record<string, { Description: string }>;
  };

  it('outputs each stage URL and how to read each stage key', () => {
    expect(Object.keys(template.Outputs)).toEqual([
      'DevUrl',
      'DevApiKey1Command',
      'ProdUrl',
      'ProdApiKey1Command',
    ]);
  });

  it('has no AWS::CDK::Metadata (analytics off), only the gateway', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::CDK::Metadata');
    expect(types.filter((t) => t.startsWith('AWS::SageMaker::'))).toEqual([]);
  });

  it('matches the snapshot (asset hashes masked)', () => {
    expect(maskAssetHashes(template)).toMatchSnapshot();
  });
});
