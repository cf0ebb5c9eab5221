import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const SERVICE = 'image-inference-gateway';

/**
 * JSON logs (POWERTOOLS_LOG_LEVEL sets the level). Callers log sizes,
 * formats, codes and ids: never image bytes, field values or the API key.
 */
export const logger = new Logger({ serviceName: SERVICE });

/** What `traceClient` needs of an AWS SDK v3 client. */
interface SdkClient {
  send(...args: never[]): Promise<unknown>;
}

/**
 * Whether the Powertools Tracer records in this environment, by its own
 * rule: inside Lambda (`AWS_EXECUTION_ENV` set), not under the SAM CLI or the
 * Amplify mock, and not turned off with POWERTOOLS_TRACE_ENABLED=false.
 */
export function tracingActive(env: Readonly<Record<string, string | undefined>>): boolean {
  const execution = env.AWS_EXECUTION_ENV ?? '';
  return (
    execution !== '' &&
    execution !== 'AWS_Lambda_amplify-mock' &&
    (env.AWS_SAM_LOCAL ?? '') === '' &&
    (env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() !== 'false'
  );
}

/**
 * `client` with an AWS X-Ray subsegment per call (for the SageMaker Runtime
 * client: each InvokeEndpoint's latency, status, request id and error),
 * through the Powertools Tracer; `client` untouched where tracing is off.
 *
 * The tracer (and the X-Ray SDK under it) is imported only where it
 * records: elsewhere (tests, the local gateway) it is never evaluated, which
 * saves about 8 ms of the bundled handler's cold import. In Lambda the
 * import starts when the client is made, at cold start, and the first call
 * waits for it, so every call is traced. It does not patch Node's http and
 * https modules: the one outbound call worth a subsegment is the SDK's.
 */
export function traceClient<T extends SdkClient>(
  client: T,
  env: Readonly<Record<string, string | undefined>> = process.env,
): T {
  if (!tracingActive(env)) return client;
  const captured = import('@aws-lambda-powertools/tracer')
    .then(({ Tracer }) => {
      const tracer = new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false });
      // Adds X-Ray's middleware to the client's own stack, which each send reads.
      tracer.captureAWSv3Client(client);
    })
    .catch((error: unknown) => {
      // Untraced calls rather than failed ones.
      logger.warn('X-Ray tracing unavailable', { error });
    });
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  Object.assign(client, {
    send: async (...args: unknown[]) => {
      await captured;
      return send(...args);
    },
  });
  return client;
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
