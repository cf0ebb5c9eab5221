import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { onlyResource, readable, resourcesOf, synthApi } from '../testing.ts';
import type { ImageInferenceApiStage } from './image-inference-api.ts';

/**
 * Every Lambda permission's SourceArn, readable, with each stage reference
 * replaced by the stage's name: what API Gateway compares the invoked
 * stage, method and path against.
 */
function sourceArns(template: Template): string[] {
  const stageNames = Object.entries(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(
    ([id, stage]) => [`<${id}>`, stage.StageName as string] as const,
  );
  return Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).map((permission) =>
    stageNames.reduce((arn, [ref, name]) => arn.replace(ref, name), readable(permission.SourceArn)),
  );
}

const EXECUTE_API = 'arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:';

describe('ImageInferenceApi: who may invoke the predict Lambda', () => {
  it.each<[string, ImageInferenceApiStage[] | undefined]>([
    ['the default stages', undefined],
    ['one stage', [{ stageName: 'live' }]],
    [
      'four stages',
      [{ stageName: 'dev' }, { stageName: 'qa' }, { stageName: 'staging' }, { stageName: 'prod' }],
    ],
  ])('lets every stage of %s call POST /predict, and nothing else', (_what, stages) => {
    const template = synthApi({ stages });
    const restApiId = Object.keys(resourcesOf(template, 'AWS::ApiGateway::RestApi'))[0];
    const names = Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(
      (stage) => stage.StageName as string,
    );
    expect(names.length).toBe(stages?.length ?? 2);
    // One permission per stage, each for exactly that stage, method and path.
    expect(sourceArns(template).sort()).toEqual(
      names.map((name) => `${EXECUTE_API}<${restApiId}>/${name}/POST/predict`).sort(),
    );
  });

  it('grants lambda:InvokeFunction on the predict function to API Gateway only', () => {
    const template = synthApi({ stages: [{ stageName: 'dev' }, { stageName: 'prod' }] });
    const fnId = Object.keys(resourcesOf(template, 'AWS::Lambda::Function'))[0];
    const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission'));
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      });
      expect(Object.keys(permission).sort()).toEqual([
        'Action',
        'FunctionName',
        'Principal',
        'SourceArn',
      ]);
    }
  });

  it('names each stage by reference, so a permission only exists with its stage', () => {
    const template = synthApi();
    const prodStageId = Object.entries(resourcesOf(template, 'AWS::ApiGateway::Stage')).find(
      ([, stage]) => stage.StageName === 'prod',
    )?.[0];
    const prod = onlyResource(template, 'AWS::Lambda::Permission', (permission) =>
      readable(permission.SourceArn).includes(`<${prodStageId}>`),
    );
    expect(readable(prod.SourceArn)).toMatch(/\/<ApiStagesprodStage\w+>\/POST\/predict$/);
  });
});
