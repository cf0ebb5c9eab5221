import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  readonly functionName?: string;
  readonly awsRequestId?: string;
  readonly memoryLimitInMB?: number;
}

/**
 * A Lambda context as the runtime hands it to a handler, whose
 * getRemainingTimeInMillis() counts down from the function's timeout.
 */
export function lambdaContext(timeoutMs = 10_000, options: LambdaContextOptions = {}): Context {
  const started = Date.now();
  const functionName = options.functionName ?? 'predict';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: options.awsRequestId ?? 'local-lambda-request',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
