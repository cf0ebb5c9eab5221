/**
 * Reads the CloudFormation template `cdk synth` produces for the stack into
 * what the local gateway needs to behave like the deployed API: routes and
 * their integrations, binary media types, stages and their variables and
 * throttling, usage plans, gateway responses, the Lambda's environment,
 * and what the template lets API Gateway call (permissions.ts). Nothing here is configured twice: change the construct, and the local
 * gateway changes with it.
 */
import { LAMBDA_DEFAULT_MEMORY_MB, LAMBDA_DEFAULT_TIMEOUT_S } from '#shared/aws-facts.ts';
import { methodAuthorizer, readAuthorizers, type TokenAuthorizer } from './authorizers.ts';
import { LOCAL_AWS, pseudoParameter } from './aws-identity.ts';
import { type Json, ofType, resolveString, strings, target, targets } from './cfn.ts';
import { type AccessModel, readAccess } from './permissions.ts';

/**
 * How API Gateway converts a payload between text and binary
 * (`contentHandling`); undefined passes it as the binary media types decide.
 */
export type ContentHandling = 'CONVERT_TO_TEXT' | 'CONVERT_TO_BINARY' | undefined;

/** What a non-proxy integration does with a body no request template matches. */
export type PassthroughBehavior = 'WHEN_NO_MATCH' | 'WHEN_NO_TEMPLATES' | 'NEVER';

export interface IntegrationResponse {
  readonly selectionPattern: RegExp | undefined;
  readonly statusCode: number;
  /** method.response.header.X -> source expression ('literal', context.x, integration.response.header.X). */
  readonly responseParameters: Readonly<Record<string, string>>;
  readonly responseTemplates: Readonly<Record<string, string>>;
  /** @default undefined (no conversion) */
  readonly contentHandling?: ContentHandling;
}

export type Integration =
  | {
      readonly type: 'AWS_PROXY';
      /** Logical id of the Lambda function. */
      readonly functionId: string;
      /** The role API Gateway assumes to invoke it (logical id, or an ARN from outside the template). */
      readonly credentials?: string;
    }
  | {
      readonly type: 'AWS';
      /** The AWS service of the URI, e.g. `runtime.sagemaker`. */
      readonly service?: string;
      /** `endpoints/{stageVariables.endpointName}/invocations` style path, stage variables unresolved. */
      readonly path: string;
      readonly requestParameters: Readonly<Record<string, string>>;
      /** Request mapping templates by content type. */
      readonly requestTemplates: Readonly<Record<string, string>>;
      readonly passthroughBehavior: PassthroughBehavior;
      readonly contentHandling: ContentHandling;
      /** The role API Gateway signs the call with (logical id, or an ARN from outside the template). */
      readonly credentials: string | undefined;
      readonly responses: readonly IntegrationResponse[];
    }
  | {
      readonly type: 'MOCK';
      /** Request mapping templates by content type: they choose the mock's status. */
      readonly requestTemplates?: Readonly<Record<string, string>>;
      readonly contentHandling?: ContentHandling;
      readonly responses: readonly IntegrationResponse[];
    };

export interface Route {
  /** Resource path, e.g. `/predict`. */
  readonly path: string;
  readonly method: string;
  readonly apiKeyRequired: boolean;
  /** Request headers the validator requires (lower case). */
  readonly requiredHeaders: readonly string[];
  readonly integration: Integration;
  /** The method's Lambda authorizer (`AuthorizationType: CUSTOM`); undefined: none. */
  readonly authorizer?: TokenAuthorizer;
}

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface UsagePlan {
  readonly id: string;
  readonly stages: readonly string[];
  readonly throttle: Throttle | undefined;
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' } | undefined;
  /** Logical ids of the API keys in the plan. */
  readonly apiKeyIds: readonly string[];
}

export interface Stage {
  readonly name: string;
  readonly variables: Readonly<Record<string, string>>;
  /** Stage-wide method throttling (`/*` `*`). */
  readonly throttle: Throttle | undefined;
}

export interface GatewayResponse {
  readonly type: string;
  readonly statusCode: number | undefined;
  readonly responseParameters: Readonly<Record<string, string>>;
  readonly responseTemplates: Readonly<Record<string, string>>;
}

export interface LambdaFunction {
  readonly id: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface ApiModel {
  readonly binaryMediaTypes: readonly string[];
  readonly routes: readonly Route[];
  readonly stages: readonly Stage[];
  readonly usagePlans: readonly UsagePlan[];
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponse>;
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  /** Lambda resource policies and execution roles, for the permission checks. */
  readonly access: AccessModel;
}

function contentHandling(value: unknown): ContentHandling {
  return value === 'CONVERT_TO_TEXT' || value === 'CONVERT_TO_BINARY' ? value : undefined;
}

/** An integration's `Credentials`: the role's logical id, or the literal ARN. */
function credentials(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return target(value) ?? (typeof value === 'string' ? value : undefined);
}

function integrationResponses(value: unknown): IntegrationResponse[] {
  return ((value ?? []) as Json[]).map((response) => ({
    selectionPattern:
      typeof response.SelectionPattern === 'string'
        ? new RegExp(`^(?:${response.SelectionPattern})$`)
        : undefined,
    statusCode: Number(response.StatusCode),
    responseParameters: strings(response.ResponseParameters),
    responseTemplates: strings(response.ResponseTemplates),
    contentHandling: contentHandling(response.ContentHandling),
  }));
}

function throttle(rate: unknown, burst: unknown): Throttle | undefined {
  return typeof rate === 'number' && typeof burst === 'number'
    ? { rateLimit: rate, burstLimit: burst }
    : undefined;
}

/** Builds the model of the one REST API in `template`. */
export function readApiModel(template: Json): ApiModel {
  const apis = ofType(template, 'AWS::ApiGateway::RestApi');
  if (apis.length !== 1)
    throw new Error(`Expected one AWS::ApiGateway::RestApi in the template, found ${apis.length}`);
  const [apiId, api] = apis[0] as [string, Json];

  // Resource paths from the PathPart chain.
  const resources = new Map(ofType(template, 'AWS::ApiGateway::Resource'));
  const pathOf = (id: string | undefined): string => {
    if (id === undefined || id === apiId) return '';
    const resource = resources.get(id);
    if (resource === undefined) return '';
    return `${pathOf(target(resource.ParentId))}/${String(resource.PathPart)}`;
  };
  const validators = new Map(ofType(template, 'AWS::ApiGateway::RequestValidator'));
  const authorizers = readAuthorizers(template);

  const routes: Route[] = ofType(template, 'AWS::ApiGateway::Method').map(([, method]) => {
    const integration = (method.Integration ?? {}) as Json;
    const validator = validators.get(target(method.RequestValidatorId) ?? '');
    const requiredHeaders =
      validator?.ValidateRequestParameters === true
        ? Object.entries((method.RequestParameters ?? {}) as Record<string, boolean>)
            .filter(([name, required]) => required && name.startsWith('method.request.header.'))
            .map(([name]) => name.slice('method.request.header.'.length).toLowerCase())
        : [];
    let model: Integration;
    if (integration.Type === 'AWS_PROXY') {
      const functionId = targets(integration.Uri).find(
        (id) => id !== 'AWS::Partition' && id !== 'AWS::Region',
      );
      model = {
        type: 'AWS_PROXY',
        functionId: functionId ?? '',
        credentials: credentials(integration.Credentials),
      };
    } else if (integration.Type === 'AWS') {
      const uri =
        resolveString(
          integration.Uri,
          (ref) => pseudoParameter(ref.id, LOCAL_AWS) ?? `{${ref.id}}`,
        ) ?? '';
      const path = uri.slice(uri.indexOf(':path/') + ':path/'.length);
      // arn:{partition}:apigateway:{region}:{service}:path/{path}
      const service = uri.slice(0, uri.indexOf(':path/')).split(':')[4];
      model = {
        type: 'AWS',
        service,
        path,
        requestParameters: strings(integration.RequestParameters),
        requestTemplates: strings(integration.RequestTemplates),
        // CloudFormation's default. Source: AWS::ApiGateway::Method Integration, PassthroughBehavior.
        passthroughBehavior:
          integration.PassthroughBehavior === 'NEVER' ||
          integration.PassthroughBehavior === 'WHEN_NO_TEMPLATES'
            ? integration.PassthroughBehavior
            : 'WHEN_NO_MATCH',
        contentHandling: contentHandling(integration.ContentHandling),
        credentials: credentials(integration.Credentials),
        responses: integrationResponses(integration.IntegrationResponses),
      };
    } else {
      model = {
        type: 'MOCK',
        requestTemplates: strings(integration.RequestTemplates),
        contentHandling: contentHandling(integration.ContentHandling),
        responses: integrationResponses(integration.IntegrationResponses),
      };
    }
    return {
      path: pathOf(target(method.ResourceId)) || '/',
      method: String(method.HttpMethod),
      apiKeyRequired: method.ApiKeyRequired === true,
      requiredHeaders,
      integration: model,
      authorizer: methodAuthorizer(method, authorizers),
    };
  });

  const stageById = new Map<string, Stage>(
    ofType(template, 'AWS::ApiGateway::Stage').map(([id, stage]) => {
      const settings = ((stage.MethodSettings ?? []) as Json[]).find(
        (s) => s.HttpMethod === '*' && s.ResourcePath === '/*',
      );
      return [
        id,
        {
          name: String(stage.StageName),
          variables: strings(stage.Variables),
          throttle: throttle(settings?.ThrottlingRateLimit, settings?.ThrottlingBurstLimit),
        },
      ];
    }),
  );

  const planKeys = ofType(template, 'AWS::ApiGateway::UsagePlanKey');
  const usagePlans: UsagePlan[] = ofType(template, 'AWS::ApiGateway::UsagePlan').map(
    ([id, plan]) => {
      const planThrottle = (plan.Throttle ?? {}) as Json;
      const quota = plan.Quota as Json | undefined;
      return {
        id,
        stages: ((plan.ApiStages ?? []) as Json[])
          .map((s) => stageById.get(target(s.Stage) ?? '')?.name)
          .filter((name): name is string => name !== undefined),
        throttle: throttle(planThrottle.RateLimit, planThrottle.BurstLimit),
        quota:
          quota !== undefined && typeof quota.Limit === 'number'
            ? { limit: quota.Limit, period: (quota.Period ?? 'DAY') as 'DAY' | 'WEEK' | 'MONTH' }
            : undefined,
        apiKeyIds: planKeys
          .filter(([, key]) => target(key.UsagePlanId) === id)
          .map(([, key]) => target(key.KeyId))
          .filter((keyId): keyId is string => keyId !== undefined),
      };
    },
  );

  const gatewayResponses = new Map(
    ofType(template, 'AWS::ApiGateway::GatewayResponse').map(([, response]) => [
      String(response.ResponseType),
      {
        type: String(response.ResponseType),
        statusCode: response.StatusCode === undefined ? undefined : Number(response.StatusCode),
        responseParameters: strings(response.ResponseParameters),
        responseTemplates: strings(response.ResponseTemplates),
      },
    ]),
  );

  const functions = new Map(
    ofType(template, 'AWS::Lambda::Function').map(([id, fn]) => [
      id,
      {
        id,
        environment: strings((fn.Environment as Json | undefined)?.Variables),
        timeoutSeconds: typeof fn.Timeout === 'number' ? fn.Timeout : LAMBDA_DEFAULT_TIMEOUT_S,
        memoryMb: typeof fn.MemorySize === 'number' ? fn.MemorySize : LAMBDA_DEFAULT_MEMORY_MB,
      },
    ]),
  );

  return {
    binaryMediaTypes: ((api.BinaryMediaTypes ?? []) as string[]).map((type) =>
      type.replace('~1', '/'),
    ),
    routes,
    stages: [...stageById.values()],
    usagePlans,
    gatewayResponses,
    functions,
    access: readAccess(template, LOCAL_AWS),
  };
}
