/** IAM's matching and evaluation, as the permission checks use them. */
import { describe, expect, it } from 'vitest';
import { actionMatches, arnLike, evaluate, type PolicyStatement, resourceMatches } from './iam.ts';

describe('IAM matching', () => {
  it.each([
    {
      pattern: 'arn:aws:execute-api:*:*:abc/*/POST/predict',
      arn: 'arn:aws:execute-api:us-east-1:1:abc/dev/POST/predict',
      expected: true,
    },
    {
      pattern: 'arn:aws:execute-api:*:*:abc/dev/*/*',
      arn: 'arn:aws:execute-api:us-east-1:1:abc/prod/POST/predict',
      expected: false,
    },
    {
      pattern: 'arn:aws:execute-api:us-east-1:1:abc/*',
      arn: 'arn:aws:execute-api:us-east-1:1:abc/dev/POST/a:b',
      expected: true,
    },
    {
      pattern: 'arn:aws:execute-api:us-east-?:1:abc/*',
      arn: 'arn:aws:execute-api:us-east-1:1:abc/x',
      expected: true,
    },
    {
      pattern: 'arn:aws:execute-api:*:1:abc/*',
      arn: 'arn:aws:execute-api:us-east-1:2:abc/x',
      expected: false,
    },
    {
      pattern: 'arn:aws:execute-api:*:*:ABC/*',
      arn: 'arn:aws:execute-api:us-east-1:1:abc/x',
      expected: false,
    },
  ])('ArnLike $pattern ~ $arn: $expected', ({ pattern, arn, expected }) => {
    expect(arnLike(pattern, arn)).toBe(expected);
  });

  it.each([
    { pattern: '*', arn: 'arn:aws:sagemaker:us-east-1:1:endpoint/x', expected: true },
    {
      pattern: 'arn:aws:sagemaker:*:*:endpoint/*',
      arn: 'arn:aws:sagemaker:us-east-1:1:endpoint/x',
      expected: true,
    },
    {
      pattern: 'arn:aws:sagemaker:us-*-1:1:endpoint/x',
      arn: 'arn:aws:sagemaker:us-east-1:1:endpoint/x',
      expected: true,
    },
    {
      pattern: 'arn:aws:sagemaker:us-east-1:1:endpoint/x',
      arn: 'arn:aws:sagemaker:us-east-1:1:endpoint/X',
      expected: false,
    },
    {
      pattern: 'arn:aws:sagemaker:us-east-1:1:endpoint/x',
      arn: 'arn:aws:sagemaker:us-east-1:1:endpoint/xy',
      expected: false,
    },
  ])('Resource $pattern ~ $arn: $expected', ({ pattern, arn, expected }) => {
    expect(resourceMatches(pattern, arn)).toBe(expected);
  });

  it('matches actions case-insensitively, with wildcards', () => {
    expect(actionMatches('SageMaker:Invoke*', 'sagemaker:InvokeEndpoint')).toBe(true);
    expect(actionMatches('sagemaker:Describe*', 'sagemaker:InvokeEndpoint')).toBe(false);
  });

  const statement = (overrides: Partial<PolicyStatement>): PolicyStatement => ({
    effect: 'Allow',
    actions: ['sagemaker:InvokeEndpoint'],
    notActions: [],
    resources: ['*'],
    notResources: [],
    conditional: false,
    ...overrides,
  });

  it.each([
    { statements: [], expected: 'implicit-deny' },
    { statements: [statement({})], expected: 'allow' },
    { statements: [statement({}), statement({ effect: 'Deny' })], expected: 'explicit-deny' },
    { statements: [statement({ conditional: true })], expected: 'implicit-deny' },
    { statements: [statement({ actions: [], notActions: ['s3:*'] })], expected: 'allow' },
    { statements: [statement({ resources: [], notResources: ['*'] })], expected: 'implicit-deny' },
  ])('evaluates to $expected', ({ statements, expected }) => {
    expect(
      evaluate(statements, 'sagemaker:InvokeEndpoint', 'arn:aws:sagemaker:r:1:endpoint/x'),
    ).toBe(expected);
  });
});
