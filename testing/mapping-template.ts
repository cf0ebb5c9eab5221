import type { MappingContext } from '../local/emulation/mapping.ts';
import { evaluateTemplate, type VtlResult } from '../local/emulation/vtl.ts';

/** What an integration response template sees of one request and SageMaker's answer. */
export interface TemplateCall {
  /** Method request headers (looked up case-insensitively). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The integration response body (SageMaker's error JSON). */
  readonly body?: unknown;
  /** @default 'req-1' */
  readonly requestId?: string;
}

/** Runs an integration response template the way the local gateway (and API Gateway) does. */
export function renderResponse(template: string, call: TemplateCall = {}): VtlResult {
  const context: MappingContext = {
    requestId: call.requestId ?? 'req-1',
    stage: 'dev',
    resourcePath: '/invocations',
    httpMethod: 'POST',
    sourceIp: '127.0.0.1',
    apiKeyId: '',
    errorMessage: '',
    errorResponseType: '',
  };
  const headers = Object.entries(call.headers ?? {});
  return evaluateTemplate(template, context, {
    body: typeof call.body === 'string' ? call.body : JSON.stringify(call.body ?? {}),
    header: (name) => headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
  });
}
