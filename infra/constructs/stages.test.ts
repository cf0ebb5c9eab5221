import type { Template } from 'aws-cdk-lib/assertions';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { describe, expect, it } from 'vitest';
import { readable, resourcesOf, stagesByName, synthApi } from '../testing.ts';

const defaultTemplate = synthApi();

describe('ImageInferenceApi: stages, usage plans and keys', () => {
  it('creates dev and prod by default, each with its endpointName stage variable, throttling and JSON access logs', () => {
    const byName = stagesByName(defaultTemplate);
    expect(Object.keys(byName).sort()).toEqual(['dev', 'prod']);
    for (const stage of Object.values(byName)) {
      expect(stage.Variables).toEqual({ endpointName: 'image-moderation' });
      expect(stage.MethodSettings).toEqual([
        {
          DataTraceEnabled: false,
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingBurstLimit: 100,
          ThrottlingRateLimit: 50,
        },
      ]);
      const log = stage.AccessLogSetting as { Format: string; DestinationArn: unknown };
      expect(Object.keys(JSON.parse(log.Format))).toEqual([
        'requestId',
        'requestTime',
        'ip',
        'apiKeyId',
        'httpMethod',
        'resourcePath',
        'status',
        'responseLength',
        'responseLatency',
        'errorType',
        'errorMessage',
        'integrationStatus',
        'integrationLatency',
      ]);
      expect(readable(log.DestinationArn)).toMatch(
        /^arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<ApiStages\w+AccessLogs\w+>$/,
      );
    }
  });

  it('gives every stage its own usage plan with throttle and quota, and its own keys', () => {
    const template = synthApi({
      stages: [
        { stageName: 'dev', keyRateLimitRps: 2, keyBurstLimit: 4, quotaLimit: 100, apiKeyCount: 2 },
        { stageName: 'prod', endpointName: 'prod-model', quotaPeriod: Period.MONTH },
      ],
    });
    const stageIds = Object.fromEntries(
      Object.entries(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(([id, s]) => [
        s.StageName as string,
        id,
      ]),
    );
    const plans = resourcesOf(template, 'AWS::ApiGateway::UsagePlan');
    const planOf = (stage: string) =>
      Object.entries(plans).find(
        ([, plan]) =>
          (plan.ApiStages as Array<{ Stage: { Ref: string } }>)[0]?.Stage.Ref === stageIds[stage],
      ) as [string, Record<string, unknown>];
    const [devPlanId, devPlan] = planOf('dev');
    const [prodPlanId, prodPlan] = planOf('prod');
    expect(Object.keys(plans)).toHaveLength(2);
    expect(devPlan.Throttle).toEqual({ RateLimit: 2, BurstLimit: 4 });
    expect(devPlan.Quota).toEqual({ Limit: 100, Period: 'DAY' });
    expect(prodPlan.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
    expect(prodPlan.Quota).toEqual({ Limit: 10000, Period: 'MONTH' });

    const keysByPlan = new Map<string, number>();
    for (const link of Object.values(resourcesOf(template, 'AWS::ApiGateway::UsagePlanKey'))) {
      const plan = (link.UsagePlanId as { Ref: string }).Ref;
      keysByPlan.set(plan, (keysByPlan.get(plan) ?? 0) + 1);
    }
    expect(Object.fromEntries(keysByPlan)).toEqual({ [devPlanId]: 2, [prodPlanId]: 1 });
    expect(stagesByName(template).prod?.Variables).toEqual({ endpointName: 'prod-model' });
  });

  it('never puts an API key value in the template', () => {
    const keys = Object.values(resourcesOf(defaultTemplate, 'AWS::ApiGateway::ApiKey'));
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).not.toHaveProperty('Value');
      expect(key.Enabled).toBe(true);
    }
  });
});

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

function resources(template: Template): Record<string, Resource> {
  return template.toJSON().Resources as Record<string, Resource>;
}

describe("ImageInferenceApi: the account's API Gateway CloudWatch Logs role", () => {
  it('sets it by default, retained, and creates every stage after it', () => {
    const template = synthApi({
      stages: [{ stageName: 'dev' }, { stageName: 'qa' }, { stageName: 'prod' }],
    });
    const all = Object.entries(resources(template));
    const accounts = all.filter(([, r]) => r.Type === 'AWS::ApiGateway::Account');
    expect(accounts).toHaveLength(1);
    const [accountId, account] = accounts[0] as [string, Resource];
    const roleId = (account.Properties.CloudWatchRoleArn as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ][0];
    const role = resources(template)[roleId] as Resource;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'apigateway.amazonaws.com' },
        },
      ],
    });
    expect((role.Properties.ManagedPolicyArns as unknown[]).map(readable)).toEqual([
      'arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ]);
    // The account setting outlives the stack; so must the role it names.
    for (const resource of [account, role]) {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
    const stages = all.filter(([, r]) => r.Type === 'AWS::ApiGateway::Stage');
    expect(stages).toHaveLength(3);
    for (const [, stage] of stages) expect(stage.DependsOn).toContain(accountId);
  });

  it('leaves the account alone with cloudWatchRole: false', () => {
    const template = synthApi({ cloudWatchRole: false });
    const types = Object.values(resources(template)).map((r) => r.Type);
    expect(types).not.toContain('AWS::ApiGateway::Account');
    expect(types.filter((type) => type === 'AWS::IAM::Role')).toHaveLength(2);
    expect(Object.keys(stagesByName(template)).sort()).toEqual(['dev', 'prod']);
  });
});
