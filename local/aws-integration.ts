/**
 * The AWS integration of the passthrough route: InvokeEndpoint sent over
 * HTTP to the local SageMaker Runtime (the model server), the body passed
 * through unchanged, the answer shaped by the integration responses.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Integration } from './emulation/api-model.ts';
import { integrationPath, integrationRequestHeaders } from './emulation/integration-request.ts';
import { integrationReply } from './emulation/integration-response.ts';
import type { Fault, Outcome } from './emulation/reply.ts';
import type { RouteScope } from './emulation/request-scope.ts';

export interface AwsIntegrationOptions {
  /** Base URL of the local SageMaker Runtime API. */
  readonly sagemakerUrl: string;
  /** API Gateway's integration timeout, in milliseconds. */
  readonly integrationTimeoutMs: number;
}

// API Gateway signs with the integration's role; the local server only checks one is there.
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=LOCALGATEWAY/19700101/us-east-1/sagemaker/aws4_request';
const FAILED: Fault = { fault: 'INTEGRATION_FAILURE' };
const TIMED_OUT: Fault = { fault: 'INTEGRATION_TIMEOUT' };

function headerLookup(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}

/**
 * Sends one request through an AWS integration. INTEGRATION_TIMEOUT when the
 * service does not answer within the integration timeout, INTEGRATION_FAILURE
 * when the connection fails.
 */
export function invokeAwsIntegration(
  integration: Extract<Integration, { type: 'AWS' }>,
  scope: RouteScope,
  body: Buffer,
  options: AwsIntegrationOptions,
): Promise<Outcome> {
  const { mapping } = scope;
  const path = integrationPath(integration.path, scope.stage.variables);
  const headers = {
    Authorization: AUTHORIZATION,
    'Content-Length': String(body.length),
    ...integrationRequestHeaders(integration.requestParameters, mapping, scope.header),
  };
  const target = new URL(`/${path}`, options.sagemakerUrl);
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      target,
      { method: 'POST', headers, timeout: options.integrationTimeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve(
            integrationReply(
              integration.responses,
              {
                status: res.statusCode ?? 500,
                header: headerLookup(res.headers),
                body: Buffer.concat(chunks),
              },
              mapping,
              scope.header,
            ),
          ),
        );
        res.on('error', () => resolve(FAILED));
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy();
      resolve(TIMED_OUT);
    });
    outgoing.on('error', () => resolve(FAILED));
    outgoing.end(body);
  });
}
