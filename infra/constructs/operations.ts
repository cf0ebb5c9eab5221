import { Duration, Validations } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from '#shared/aws-facts.ts';

/** What the operations construct watches. */
export interface OperationsProps {
  /** Stage name -> stage. */
  readonly stages: ReadonlyMap<string, apigw.Stage>;
  readonly predictFunction: lambda.IFunction;
  /** The endpoints the stages invoke (distinct names), and their variant. */
  readonly endpointNames: readonly string[];
  readonly variantName: string;
  /**
   * Where alarm notifications are emailed (the owner confirms the subscription).
   * @default - the topic alone
   */
  readonly alarmEmail?: string;
}

/** Alarm thresholds, each with its reason. */
export const ALARM_THRESHOLDS = {
  /** Share of a stage's requests answered 5xx over 5 minutes. */
  serverErrorRate: 0.05,
  /** p99 latency of a stage: 90 % of the 29 s API Gateway gives an integration. */
  p99LatencyMs: API_GATEWAY_INTEGRATION_TIMEOUT_MS * 0.9,
  /** p99 ModelLatency (microseconds): half the 29 s the whole request has. */
  p99ModelLatencyUs: API_GATEWAY_INTEGRATION_TIMEOUT_MS * 500,
} as const;

const PERIOD = Duration.minutes(5);

/**
 * Alarms, their SNS topic and a dashboard (construct ids `AlarmTopic`,
 * `Alarms/*`, `Dashboard`). Alarms, per stage: 5xx rate and p99 latency
 * near 29 s; the predict Lambda's errors and throttles; per endpoint:
 * ModelError, Invocation5XXErrors and p99 ModelLatency (SageMaker developer
 * guide, "Amazon SageMaker AI metrics in Amazon CloudWatch"; API Gateway
 * developer guide, "Amazon API Gateway dimensions and metrics"). Each
 * notifies the topic on ALARM and on OK; no data is not breaching (an idle
 * API is healthy).
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'image-inference-gateway alarms',
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'The topic carries alarm state changes only (no customer data). CloudWatch cannot publish to a topic encrypted with the AWS managed key aws/sns, and a customer managed key costs USD 1 a month plus requests for no data worth protecting.',
    });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const alarmsScope = new Construct(this, 'Alarms');
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, options: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(alarmsScope, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      created.addAlarmAction(new actions.SnsAction(this.topic));
      created.addOkAction(new actions.SnsAction(this.topic));
      alarms.push(created);
    };
    const stageMetrics = [...props.stages].map(([name, stage]) => ({
      name,
      count: stage.metricCount({ period: PERIOD, statistic: 'Sum', label: `${name} requests` }),
      errors4xx: stage.metricClientError({
        period: PERIOD,
        statistic: 'Sum',
        label: `${name} 4xx`,
      }),
      errors5xx: stage.metricServerError({
        period: PERIOD,
        statistic: 'Sum',
        label: `${name} 5xx`,
      }),
      // 5XXError is 1 for a 5xx answer and 0 otherwise: its average is the rate.
      rate5xx: stage.metricServerError({ period: PERIOD, statistic: 'Average' }),
      p99: stage.metricLatency({ period: PERIOD, statistic: 'p99', label: `${name} p99` }),
    }));
    for (const stage of stageMetrics) {
      alarm(`${stage.name}ServerErrorRate`, {
        alarmDescription: `Stage ${stage.name}: over ${ALARM_THRESHOLDS.serverErrorRate * 100} % of requests answered 5xx in 5 minutes.`,
        metric: stage.rate5xx,
        threshold: ALARM_THRESHOLDS.serverErrorRate,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`${stage.name}P99Latency`, {
        alarmDescription: `Stage ${stage.name}: p99 latency over ${ALARM_THRESHOLDS.p99LatencyMs} ms, near the ${API_GATEWAY_INTEGRATION_TIMEOUT_MS} ms API Gateway allows an integration.`,
        metric: stage.p99,
        threshold: ALARM_THRESHOLDS.p99LatencyMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
      });
    }
    const fn = props.predictFunction;
    const lambdaErrors = fn.metricErrors({ period: PERIOD, statistic: 'Sum' });
    const lambdaThrottles = fn.metricThrottles({ period: PERIOD, statistic: 'Sum' });
    alarm('PredictFunctionErrors', {
      alarmDescription: 'The predict Lambda failed (an unhandled error or a timeout).',
      metric: lambdaErrors,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('PredictFunctionThrottles', {
      alarmDescription: 'Lambda throttled the predict function (account or reserved concurrency).',
      metric: lambdaThrottles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    const endpointMetrics = props.endpointNames.map((endpointName, index) => {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SageMaker',
          metricName,
          dimensionsMap: { EndpointName: endpointName, VariantName: props.variantName },
          period: PERIOD,
          statistic,
          label: `${endpointName} ${metricName}${statistic === 'Sum' ? '' : ` ${statistic}`}`,
        });
      return {
        id: `Endpoint${index + 1}`,
        endpointName,
        invocations: metric('Invocations', 'Sum'),
        modelErrors: metric('ModelError', 'Sum'),
        errors5xx: metric('Invocation5XXErrors', 'Sum'),
        p99: metric('ModelLatency', 'p99'),
      };
    });
    for (const endpoint of endpointMetrics) {
      alarm(`${endpoint.id}InvocationErrors`, {
        alarmDescription: `Endpoint ${endpoint.endpointName}: the model failed (ModelError) or SageMaker answered 5xx.`,
        metric: new cloudwatch.MathExpression({
          expression: 'modelErrors + errors5xx',
          usingMetrics: { modelErrors: endpoint.modelErrors, errors5xx: endpoint.errors5xx },
          period: PERIOD,
          label: `${endpoint.endpointName} ModelError + Invocation5XXErrors`,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`${endpoint.id}ModelLatency`, {
        alarmDescription: `Endpoint ${endpoint.endpointName}: p99 ModelLatency over ${ALARM_THRESHOLDS.p99ModelLatencyUs} microseconds.`,
        metric: endpoint.p99,
        threshold: ALARM_THRESHOLDS.p99ModelLatencyUs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
      });
    }
    this.alarms = alarms;

    const graph = (
      title: string,
      left: cloudwatch.IMetric[],
      extra: Partial<cloudwatch.GraphWidgetProps> = {},
    ) => new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...extra });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      graph(
        'Requests',
        stageMetrics.map((s) => s.count),
      ),
      graph('Errors', [
        ...stageMetrics.flatMap((s) => [s.errors4xx, s.errors5xx]),
        lambdaErrors.with({ label: 'predict Lambda errors' }),
        lambdaThrottles.with({ label: 'predict Lambda throttles' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Latency p99 (ms)',
        stageMetrics.map((s) => s.p99),
        {
          leftAnnotations: [
            { value: API_GATEWAY_INTEGRATION_TIMEOUT_MS, label: 'integration timeout' },
          ],
        },
      ),
      graph(
        'Model',
        endpointMetrics.flatMap((e) => [e.invocations, e.modelErrors, e.errors5xx]),
        {
          right: endpointMetrics.map((e) => e.p99),
          rightYAxis: { label: 'ModelLatency p99 (µs)', showUnits: false },
        },
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 }),
    );
  }
}
