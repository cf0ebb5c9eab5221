import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENDPOINT_NAME_STAGE_VARIABLE } from '#shared/contract.ts';
import type { ResolvedStage } from './api-props.ts';

/**
 * The API's stages: each with its endpoint (a stage variable), method
 * throttling, JSON access logs, and a usage plan with its own API keys.
 * Construct ids: `Stages/<stageName>/{AccessLogs,Stage,UsagePlan,ApiKey<n>}`
 * (the first stage's Stage is the RestApi's own `DeploymentStage.<name>`).
 */

/** The resources one stage adds. */
export interface ImageInferenceStageResources {
  readonly settings: ResolvedStage;
  readonly stage: apigw.Stage;
  readonly usagePlan: apigw.UsagePlan;
  readonly apiKeys: readonly apigw.ApiKey[];
  readonly accessLogs: logs.LogGroup;
}

/** Where one stage's resources live, and its access log group. */
export interface StageScope {
  readonly scope: Construct;
  readonly accessLogs: logs.LogGroup;
}

/** JSON access log line: enough to tell who was refused, by whom and why. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  apiKeyId: '$context.identity.apiKeyId',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  errorType: '$context.error.responseType',
  errorMessage: '$context.error.message',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
});

/**
 * The `Stages` scope under `parent`, one scope per stage, and each stage's
 * access log group. They exist before the RestApi, whose deployment options
 * name the first stage's log group.
 */
export function createStageScopes(
  parent: Construct,
  stages: readonly ResolvedStage[],
  retention: logs.RetentionDays,
): ReadonlyMap<string, StageScope> {
  const stagesScope = new Construct(parent, 'Stages');
  const scopes = stages.map(
    (stage) => [stage.stageName, new Construct(stagesScope, stage.stageName)] as const,
  );
  return new Map(
    scopes.map(([stageName, scope]) => [
      stageName,
      { scope, accessLogs: new logs.LogGroup(scope, 'AccessLogs', { retention }) },
    ]),
  );
}

/** A stage's options, for the RestApi's own stage or a further one. */
export function stageOptions(stage: ResolvedStage, accessLogs: logs.LogGroup): apigw.StageOptions {
  return {
    stageName: stage.stageName,
    variables: { [ENDPOINT_NAME_STAGE_VARIABLE]: stage.endpointName },
    throttlingRateLimit: stage.throttleRateLimitRps,
    throttlingBurstLimit: stage.throttleBurstLimit,
    accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
    accessLogFormat: apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
    // X-Ray: each request's trace starts at the stage and continues into the Lambda.
    tracingEnabled: true,
  };
}

/**
 * Every stage with its usage plan and keys, by stage name in props order.
 * The first stage is the RestApi's own (created with it); the others share
 * its deployment, so every API change redeploys all stages.
 */
export function addStages(
  restApi: apigw.RestApi,
  stages: readonly [ResolvedStage, ...ResolvedStage[]],
  scopes: ReadonlyMap<string, StageScope>,
): ReadonlyMap<string, ImageInferenceStageResources> {
  const [first] = stages;
  const resources = new Map<string, ImageInferenceStageResources>();
  for (const settings of stages) {
    const { scope, accessLogs } = scopes.get(settings.stageName) as StageScope;
    const stage =
      settings === first
        ? restApi.deploymentStage
        : new apigw.Stage(scope, 'Stage', {
            deployment: restApi.latestDeployment as apigw.Deployment,
            ...stageOptions(settings, accessLogs),
          });
    resources.set(settings.stageName, {
      settings,
      stage,
      accessLogs,
      ...addUsagePlan(scope, restApi, settings, stage),
    });
    acknowledgeStage(stage);
  }
  return resources;
}

function addUsagePlan(
  scope: Construct,
  restApi: apigw.RestApi,
  settings: ResolvedStage,
  stage: apigw.Stage,
): { usagePlan: apigw.UsagePlan; apiKeys: apigw.ApiKey[] } {
  const usagePlan = new apigw.UsagePlan(scope, 'UsagePlan', {
    description: `API keys of stage ${settings.stageName}: rate, burst and quota per key.`,
    apiStages: [{ api: restApi, stage }],
    throttle: { rateLimit: settings.keyRateLimitRps, burstLimit: settings.keyBurstLimit },
    quota: { limit: settings.quotaLimit, period: settings.quotaPeriod },
  });
  const apiKeys: apigw.ApiKey[] = [];
  for (let n = 1; n <= settings.apiKeyCount; n++) {
    // No `value`: API Gateway generates it, so it is never in the template.
    const key = new apigw.ApiKey(scope, `ApiKey${n}`, {
      description: `Key ${n} of stage ${settings.stageName}.`,
      enabled: true,
    });
    usagePlan.addApiKey(key);
    apiKeys.push(key);
  }
  return { usagePlan, apiKeys };
}

function acknowledgeStage(stage: apigw.Stage): void {
  Validations.of(stage).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason:
      'No AWS WAF web ACL by default: usage plans throttle and cap every key, and stage method throttling caps the stage. Associate a web ACL with the stage ARN where hostile traffic is expected.',
  });
  Validations.of(stage).acknowledge({
    id: 'AwsSolutions-APIG6',
    reason:
      "Execution logs stay off: they trace every request step by step, request data included, at CloudWatch Logs cost. Every stage writes JSON access logs with the error type, its message and the integration's status; turn execution logging on for a stage while debugging.",
  });
}
