import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const SERVICE = 'image-inference-gateway';

/**
 * JSON logs (POWERTOOLS_LOG_LEVEL sets the level). Callers log sizes,
 * formats, codes and ids: never image bytes, field values or the API key.
 */
export const logger = new Logger({ serviceName: SERVICE });

/**
 * AWS X-Ray, through the function's active tracing. The tracer records only
 * inside Lambda (outside it, e.g. in the local gateway or a test, it is
 * disabled and `traceClient` returns the client untouched), and not at all
 * with POWERTOOLS_TRACE_ENABLED=false. It does not patch Node's http and
 * https modules: the one outbound call worth a subsegment is the SDK's.
 */
export const tracer = new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false });

/**
 * `client` with an X-Ray subsegment per call (the SageMaker Runtime
 * InvokeEndpoint call: its latency, status, request id and error), or
 * `client` itself when tracing is off.
 */
export function traceClient<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/** CloudWatch EMF metrics, flushed once per request. */
const metrics = new Metrics({ namespace: 'ImageInferenceGateway', serviceName: SERVICE });

interface RequestMetrics {
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly images: number;
  readonly errorCode: string | undefined;
}

export function recordRequest(record: RequestMetrics): void {
  for (const [phase, ms] of Object.entries(record.timingsMs)) {
    metrics.addMetric(`${phase}LatencyMs`, MetricUnit.Milliseconds, ms);
  }
  metrics.addMetric('BytesIn', MetricUnit.Bytes, record.bytesIn);
  metrics.addMetric('BytesOut', MetricUnit.Bytes, record.bytesOut);
  metrics.addMetric('Images', MetricUnit.Count, record.images);
  if (record.errorCode !== undefined) {
    // One metric per code, as a dimension, so alarms can watch a single code.
    const single = metrics.singleMetric();
    single.addDimension('code', record.errorCode);
    single.addMetric('Errors', MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}
