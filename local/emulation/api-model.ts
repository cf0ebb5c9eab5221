/**
 * Reads the CloudFormation template `cdk synth` produces for the stack into
 * what the local gateway needs to behave like the deployed API: routes and
 * their integrations, binary media types, stages and their variables and
 * throttling, usage plans, gateway responses, and the Lambda's environment.
 * Nothing here is configured twice: change the construct, and the local
 * gateway changes with it.
 */

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
}

export interface IntegrationResponse {
  readonly selectionPattern: RegExp | undefined;
  readonly statusCode: number;
  /** method.response.header.X -> source expression ('literal', context.x, integration.response.header.X). */
  readonly responseParameters: Readonly<Record<string, string>>;
  readonly responseTemplates: Readonly<Record<string, string>>;
}

export type Integration =
  | {
      readonly type: 'AWS_PROXY';
      /** Logical id of the Lambda function. */
      readonly functionId: string;
    }
  | {
      readonly type: 'AWS';
      /** `endpoints/{stageVariables.endpointName}/invocations` style path, stage variables unresolved. */
      readonly path: string;
      readonly requestParameters: Readonly<Record<string, string>>;
      readonly responses: readonly IntegrationResponse[];
    }
  | {
      readonly type: 'MOCK';
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
}

function ofType(template: Json, type: string): Array<[string, Json]> {
  const resources = (template.Resources ?? {}) as Record<string, Resource>;
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The logical id a `{Ref: id}` or `{Fn::GetAtt: [id, attr]}` points at. */
function target(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Json;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every logical id referenced anywhere inside `value`. */
function targets(value: unknown, found: string[] = []): string[] {
  const direct = target(value);
  if (direct !== undefined) found.push(direct);
  else if (Array.isArray(value)) for (const item of value) targets(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) targets(item, found);
  }
  return found;
}

/** The text of an `Fn::Join` with `Ref`s rendered as `{Ref}`, or a plain string. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as Json | null)?.['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts
      .map((part) => (typeof part === 'string' ? part : `{${target(part) ?? '?'}}`))
      .join(separator);
  }
  return '';
}

function strings(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries((value ?? {}) as Json).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
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
      model = { type: 'AWS_PROXY', functionId: functionId ?? '' };
    } else if (integration.Type === 'AWS') {
      const uri = joined(integration.Uri);
      const path = uri.slice(uri.indexOf(':path/') + ':path/'.length);
      model = {
        type: 'AWS',
        path,
        requestParameters: strings(integration.RequestParameters),
        responses: integrationResponses(integration.IntegrationResponses),
      };
    } else {
      model = { type: 'MOCK', responses: integrationResponses(integration.IntegrationResponses) };
    }
    return {
      path: pathOf(target(method.ResourceId)) || '/',
      method: String(method.HttpMethod),
      apiKeyRequired: method.ApiKeyRequired === true,
      requiredHeaders,
      integration: model,
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
        timeoutSeconds: typeof fn.Timeout === 'number' ? fn.Timeout : 3,
        memoryMb: typeof fn.MemorySize === 'number' ? fn.MemorySize : 128,
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
  };
}
