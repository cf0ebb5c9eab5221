/**
 * Issue 18's template: alarms and their topic, the dashboard, X-Ray
 * tracing, the real-time variant's auto scaling and the JWT authorizer,
 * each as the synthesised stack has it, and cdk-nag clean with all of them.
 */
import { describe, expect, it } from 'vitest';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from '#shared/aws-facts.ts';
import { buildApp, synthesizeTemplate } from './app.ts';
import { readSettings } from './settings.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:1.0';
const JWT = {
  authorizer: 'jwt',
  jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example',
  jwtAudience: 'client-a,client-b',
};

function resources(context: Record<string, unknown> = {}): Array<[string, Resource]> {
  const template = synthesizeTemplate(context) as { Resources: Record<string, Resource> };
  return Object.entries(template.Resources);
}
const ofType = (all: Array<[string, Resource]>, type: string): Array<Record<string, unknown>> =>
  all.filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r.Properties }));

describe('alarms, their topic and the dashboard', () => {
  const all = resources();
  const alarms = ofType(all, 'AWS::CloudWatch::Alarm');
  /** The alarm's metric, whether CDK wrote it flat or as a one-metric `Metrics` list (labelled percentiles). */
  const metricOf = (alarm: Record<string, unknown>): Record<string, unknown> => {
    const stats = (alarm.Metrics ?? []) as Array<{
      MetricStat?: { Metric: Record<string, unknown>; Stat: string; Period: number };
    }>;
    const only = stats.length === 1 ? stats[0]?.MetricStat : undefined;
    return only === undefined
      ? alarm
      : { ...alarm, ...only.Metric, ExtendedStatistic: only.Stat, Period: only.Period };
  };
  const byMetric = (name: string) => alarms.map(metricOf).filter((a) => a.MetricName === name);
  const [topicId] = ofType(all, 'AWS::SNS::Topic').map((t) => t.id);

  it('alarms on each stage 5xx rate (average of 5XXError over 5 minutes above 5 %)', () => {
    const found = byMetric('5XXError');
    expect(found.map((a) => (a.Dimensions as Array<{ Name: string }>).map((d) => d.Name))).toEqual([
      ['ApiName', 'Stage'],
      ['ApiName', 'Stage'],
    ]);
    for (const alarm of found) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Average',
        Period: 300,
        Threshold: 0.05,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('alarms on each stage p99 latency at 90 % of the 29 s integration timeout', () => {
    const found = byMetric('Latency');
    expect(found).toHaveLength(2);
    for (const alarm of found) {
      expect(alarm).toMatchObject({
        ExtendedStatistic: 'p99',
        Threshold: API_GATEWAY_INTEGRATION_TIMEOUT_MS * 0.9,
      });
    }
  });

  it('alarms on the predict Lambda errors and throttles', () => {
    for (const name of ['Errors', 'Throttles']) {
      expect(byMetric(name)).toEqual([
        expect.objectContaining({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1 }),
      ]);
    }
  });

  it('alarms on the endpoint ModelError + Invocation5XXErrors and its p99 ModelLatency', () => {
    const errors = alarms.find((a) => (a.Metrics as unknown[] | undefined)?.length === 3) as {
      Metrics: Array<Record<string, unknown>>;
    };
    expect(
      errors.Metrics.map(
        (m) =>
          m.Expression ?? (m.MetricStat as { Metric: { MetricName: string } }).Metric.MetricName,
      ),
    ).toEqual(['modelErrors + errors5xx', 'ModelError', 'Invocation5XXErrors']);
    expect(byMetric('ModelLatency')).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SageMaker',
        ExtendedStatistic: 'p99',
        Threshold: API_GATEWAY_INTEGRATION_TIMEOUT_MS * 500,
        Dimensions: [
          { Name: 'EndpointName', Value: 'image-moderation' },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
      }),
    ]);
  });

  it('notifies the topic on ALARM and on OK, with no subscription unless alarmEmail is set', () => {
    expect(alarms).toHaveLength(8);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    expect(ofType(all, 'AWS::SNS::Subscription')).toEqual([]);
    const withEmail = ofType(
      resources({ alarmEmail: 'ops@example.com' }),
      'AWS::SNS::Subscription',
    );
    expect(withEmail).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
    ]);
  });

  it('has a dashboard with requests, errors, latency, model and alarm panels', () => {
    const [dashboard] = ofType(all, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.DashboardBody);
    for (const title of ['Requests', 'Errors', 'Latency p99 (ms)', 'Model', 'Alarms']) {
      expect(body).toContain(`\\"title\\":\\"${title}`);
    }
  });
});

describe('X-Ray tracing', () => {
  const all = resources(JWT);

  it('is on for every stage', () => {
    const stages = ofType(all, 'AWS::ApiGateway::Stage');
    expect(stages.map((s) => [s.StageName, s.TracingEnabled]).sort()).toEqual([
      ['dev', true],
      ['prod', true],
    ]);
  });

  it('is active on the predict Lambda and the authorizer', () => {
    const functions = ofType(all, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
  });
});

describe('real-time endpoint auto scaling', () => {
  const scaling = (context: Record<string, unknown>) => {
    const all = resources({ model: IMAGE, ...context });
    return {
      targets: ofType(all, 'AWS::ApplicationAutoScaling::ScalableTarget'),
      policies: ofType(all, 'AWS::ApplicationAutoScaling::ScalingPolicy'),
    };
  };

  it('tracks SageMakerVariantInvocationsPerInstance with the documented defaults', () => {
    const { targets, policies } = scaling({ modelMode: 'realtime' });
    expect(targets).toEqual([
      expect.objectContaining({
        ServiceNamespace: 'sagemaker',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: 1,
        MaxCapacity: 4,
      }),
    ]);
    expect(JSON.stringify(targets[0]?.ResourceId)).toContain('/variant/AllTraffic');
    expect(policies).toEqual([
      expect.objectContaining({
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: {
            PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
          },
          TargetValue: 600,
          ScaleInCooldown: 300,
          ScaleOutCooldown: 60,
        },
      }),
    ]);
  });

  it('takes min, max and target from context', () => {
    const { targets, policies } = scaling({
      modelMode: 'realtime',
      modelInstanceCount: '2',
      modelMinInstances: '2',
      modelMaxInstances: '10',
      modelTargetInvocationsPerInstance: '1200',
    });
    expect(targets[0]).toMatchObject({ MinCapacity: 2, MaxCapacity: 10 });
    expect(policies[0]).toMatchObject({
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 1200 },
    });
  });

  it('is absent for a serverless endpoint (its MaxConcurrency bounds it)', () => {
    expect(scaling({}).targets).toEqual([]);
  });

  it('refuses an initial instance count outside min..max', () => {
    expect(() =>
      synthesizeTemplate({ model: IMAGE, modelMode: 'realtime', modelInstanceCount: '5' }),
    ).toThrow(
      'instanceCount must be from autoScaling.minInstances to autoScaling.maxInstances (1 to 4), but received 5',
    );
  });
});

describe('the JWT authorizer (-c authorizer=jwt)', () => {
  const all = resources(JWT);
  const [authorizer] = ofType(all, 'AWS::ApiGateway::Authorizer');
  const fn = ofType(all, 'AWS::Lambda::Function').find((f) =>
    String(f.Description).startsWith('JWT authorizer'),
  );

  it('is a TOKEN authorizer on Authorization, its results cached 300 s', () => {
    expect(authorizer).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(fn?.Environment).toEqual({
      Variables: {
        JWT_ISSUER: JWT.jwtIssuer,
        JWT_AUDIENCE: 'client-a,client-b',
      },
    });
  });

  it('guards both POST methods, which still require an API key; preflights stay open', () => {
    const methods = ofType(all, 'AWS::ApiGateway::Method');
    const post = methods.filter((m) => m.HttpMethod === 'POST');
    expect(post).toHaveLength(2);
    for (const method of post) {
      expect(method).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: authorizer?.id },
        ApiKeyRequired: true,
      });
    }
    for (const method of methods.filter((m) => m.HttpMethod === 'OPTIONS')) {
      expect(method.AuthorizationType).toBe('NONE');
    }
  });

  it('keeps UNAUTHORIZED and ACCESS_DENIED as problem+json with CORS', () => {
    const responses = ofType(all, 'AWS::ApiGateway::GatewayResponse');
    for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED']) {
      const response = responses.find((r) => r.ResponseType === type);
      expect(response?.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      });
      expect(Object.keys(response?.ResponseTemplates as object)).toEqual(['application/json']);
      expect(JSON.stringify(response)).toContain('application/problem+json');
    }
  });

  it('takes the JWKS URL and the cache TTL from context', () => {
    const custom = resources({
      ...JWT,
      jwtJwksUrl: 'https://example.okta.com/oauth2/default/v1/keys',
      authorizerCacheTtlSeconds: '0',
    });
    expect(ofType(custom, 'AWS::ApiGateway::Authorizer')[0]?.AuthorizerResultTtlInSeconds).toBe(0);
    const variables = ofType(custom, 'AWS::Lambda::Function').find((f) =>
      String(f.Description).startsWith('JWT authorizer'),
    )?.Environment as { Variables: Record<string, string> };
    expect(variables.Variables.JWT_JWKS_URL).toBe(
      'https://example.okta.com/oauth2/default/v1/keys',
    );
  });

  it.each([
    [
      { authorizer: 'jwt' },
      'Context value jwtIssuer must be an https:// URL (or http://127.0.0.1 or http://localhost for npm start), but received ""',
    ],
    [
      { ...JWT, jwtIssuer: 'http://issuer.example.com' },
      'Context value jwtIssuer must be an https:// URL (or http://127.0.0.1 or http://localhost for npm start), but received "http://issuer.example.com"',
    ],
    [
      { authorizer: 'cognito' },
      'Context value authorizer must be one of none, jwt, but received "cognito"',
    ],
    [
      { jwtIssuer: JWT.jwtIssuer },
      'Context value jwtIssuer must be left out while authorizer is none, but received "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"',
    ],
    [
      { ...JWT, authorizerCacheTtlSeconds: '3601' },
      'Context value authorizerCacheTtlSeconds must be an integer from 0 to 3600, but received "3601"',
    ],
    [
      { alarmEmail: 'ops' },
      'Context value alarmEmail must be an email address, but received "ops"',
    ],
  ])('refuses %j', (context, message) => {
    expect(() => readSettings((key) => (context as Record<string, unknown>)[key])).toThrow(message);
  });
});

describe('cdk-nag with every operations option', () => {
  it.each([
    ['the JWT authorizer and an alarm email', { ...JWT, alarmEmail: 'ops@example.com' }],
    ['a scaled real-time model', { model: IMAGE, modelMode: 'realtime', modelMaxInstances: '8' }],
  ])('has no unacknowledged finding with %s', (_what, context) => {
    expect(() =>
      buildApp({ context, skipBundling: true, builtinValidation: false }).app.synth(),
    ).not.toThrow();
  });
});
