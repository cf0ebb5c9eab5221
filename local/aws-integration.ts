/**
 * The AWS integration of the passthrough route: the body converted as
 * binaryMediaTypes and contentHandling say, the integration's role checked
 * for the call (`sagemaker:InvokeEndpoint` on the stage's endpoint), then
 * InvokeEndpoint sent over HTTP to the local SageMaker Runtime (the model
 * server), and the answer shaped by the integration responses.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { UNREACHABLE_ERROR_CODES } from '#shared/invoke-failures.ts';
import type { Integration } from './emulation/api-model.ts';
import {
  integrationPath,
  integrationRequestBody,
  integrationRequestHeaders,
} from './emulation/integration-request.ts';
import { type IntegrationResult, integrationReply } from './emulation/integration-response.ts';
import {
  type AccessModel,
  accessDenied,
  type RoleVerdict,
  roleAllows,
  type ServiceAnswer,
  serviceCall,
} from './emulation/permissions.ts';
import type { Fault, Outcome } from './emulation/reply.ts';
import type { RouteScope } from './emulation/request-scope.ts';
import { UpstreamAgent } from './upstream-agent.ts';

export interface AwsIntegrationOptions {
  /** Base URL of the local SageMaker Runtime API. */
  readonly sagemakerUrl: string;
  /** API Gateway's integration timeout, in milliseconds. */
  readonly integrationTimeoutMs: number;
  readonly binaryMediaTypes: readonly string[];
  /** The template's execution roles. */
  readonly access: AccessModel;
  /**
   * What SageMaker Runtime answers while the local one is down. Locally one
   * process (the model server) plays both the service and the endpoint's
   * container; while it is restarted the connection is refused or reset,
   * where the real service would still answer, with an error. Used for
   * such connection failures only (UNREACHABLE_ERROR_CODES, as `/predict`
   * counts them). Undefined: INTEGRATION_FAILURE, as for any backend API
   * Gateway cannot reach.
   */
  readonly whileDown?: ServiceAnswer;
}

type AwsIntegrationModel = Extract<Integration, { type: 'AWS' }>;

// API Gateway signs with the integration's role; the local server only checks one is there.
const AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=LOCALGATEWAY/19700101/us-east-1/sagemaker/aws4_request';
const FAILED: Fault = { fault: 'INTEGRATION_FAILURE' };
const TIMED_OUT: Fault = { fault: 'INTEGRATION_TIMEOUT' };
// A role API Gateway cannot assume: "Execution failed due to configuration error".
const NOT_ASSUMABLE: Fault = { fault: 'API_CONFIGURATION_ERROR' };

function headerLookup(headers: IncomingHttpHeaders): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}

function answerResult(answer: ServiceAnswer): IntegrationResult {
  return {
    status: answer.status,
    header: (name) => answer.headers[name.toLowerCase()],
    body: Buffer.from(answer.body),
  };
}

/** Runs the AWS integrations of one API. */
export class AwsIntegration {
  private readonly options: AwsIntegrationOptions;
  private readonly agent = new UpstreamAgent();
  /** Role verdicts by role, action and resource: the template does not change. */
  private readonly verdicts = new Map<string, RoleVerdict>();

  constructor(options: AwsIntegrationOptions) {
    this.options = options;
  }

  /**
   * Sends one request through an AWS integration. UNSUPPORTED_MEDIA_TYPE
   * when the passthrough behaviour refuses the body, API_CONFIGURATION_ERROR
   * when API Gateway could not assume the role or convert the payload,
   * INTEGRATION_TIMEOUT when the service does not answer within the
   * integration timeout, INTEGRATION_FAILURE when the connection fails
   * before an answer. A role that lacks the permission gets the service's
   * 403 AccessDeniedException, which the integration responses map.
   */
  invoke(
    integration: AwsIntegrationModel,
    scope: RouteScope,
    body: Buffer,
  ): Outcome | Promise<Outcome> {
    const { mapping } = scope;
    const { binaryMediaTypes, access } = this.options;
    const method = { accept: scope.header('accept'), binaryMediaTypes };
    const payload = integrationRequestBody(integration, {
      body,
      contentType: scope.header('content-type'),
      binaryMediaTypes,
      mapping,
      header: scope.header,
    });
    if (!Buffer.isBuffer(payload)) return payload;

    const path = integrationPath(integration.path, scope.stage.variables);
    const call = serviceCall(access.identity, integration.service, path);
    if (integration.credentials !== undefined && call !== undefined) {
      const verdict = this.verdict(integration.credentials, call.action, call.resource);
      if (verdict === 'not assumable') return NOT_ASSUMABLE;
      if (verdict !== 'allow') {
        const denied = accessDenied(access, integration.credentials, call, verdict);
        return integrationReply(
          integration.responses,
          answerResult(denied),
          mapping,
          scope.header,
          method,
        );
      }
    }

    const headers: Record<string, string> = {
      'Content-Length': String(payload.length),
      ...integrationRequestHeaders(integration.requestParameters, mapping, scope.header),
    };
    // Without credentials API Gateway's call is unsigned, and the service refuses it.
    if (integration.credentials !== undefined) headers.Authorization = AUTHORIZATION;
    const target = new URL(`/${path}`, this.options.sagemakerUrl);
    const failed = (error: NodeJS.ErrnoException): Outcome => {
      const { whileDown } = this.options;
      if (whileDown === undefined || call === undefined) return FAILED;
      if (!UNREACHABLE_ERROR_CODES.has(error.code ?? '')) return FAILED;
      return integrationReply(
        integration.responses,
        answerResult(whileDown),
        mapping,
        scope.header,
        method,
      );
    };
    return new Promise((resolve) => {
      const outgoing = httpRequest(
        target,
        {
          method: 'POST',
          headers,
          agent: this.agent,
          timeout: this.options.integrationTimeoutMs,
        },
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
                method,
              ),
            ),
          );
          res.on('error', (error) => resolve(failed(error)));
        },
      );
      outgoing.on('timeout', () => {
        outgoing.destroy();
        resolve(TIMED_OUT);
      });
      outgoing.on('error', (error) => resolve(failed(error)));
      outgoing.end(payload);
    });
  }

  private verdict(roleId: string, action: string, resource: string): RoleVerdict {
    const key = `${roleId} ${action} ${resource}`;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = roleAllows(this.options.access, roleId, action, resource);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  /** Closes the kept-alive connections to the backend. */
  close(): void {
    this.agent.destroy();
  }
}
