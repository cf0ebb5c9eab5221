import { fileURLToPath } from 'node:url';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isEndpointName } from '#shared/aws-facts.ts';
import { BINARY_MEDIA_TYPES, EXPOSED_HEADERS } from '#shared/contract.ts';
import { type ConfigKey, DEFAULTS, ENV } from '#shared/predict-env.ts';
import { endpointArn } from './arns.ts';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, corsResponseHeaders } from './cors.ts';
import { GATEWAY_RESPONSES, renderGatewayResponse } from './gateway-responses.ts';
import {
  ENDPOINT_NAME_STAGE_VARIABLE,
  INVOCATIONS_PATH,
  PASSTHROUGH_REQUEST_PARAMETERS,
  passthroughIntegrationResponses,
  passthroughMethodResponses,
  SAGEMAKER_RUNTIME_SERVICE,
  sageMakerErrorSpecs,
} from './passthrough.ts';
import { sharpCommandHooks } from './sharp-bundling.ts';
import { checkInteger, checkNumber, fail, show } from './validate.ts';

/** The handler the Lambda runs, and the project whose lockfile pins its dependencies. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HANDLER_ENTRY = fileURLToPath(new URL('../../functions/predict/handler.ts', import.meta.url));
const LOCKFILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

/** API Gateway gives up on an integration after 29 s (REST, default quota). */
export const API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29;

/** The two routes (first path segment after the stage). */
export const ROUTES = { predict: 'predict', invocations: 'invocations' } as const;

/** One deployment stage: its URL prefix, endpoint, limits and keys. */
export interface ImageInferenceApiStage {
  /** The stage name, the first segment of the URL path (`/dev/predict`). */
  readonly stageName: string;
  /**
   * The SageMaker endpoint this stage invokes (stage variable `endpointName`).
   * @default - the API's `endpointName`
   */
  readonly endpointName?: string;
  /**
   * Steady requests per second for the whole stage (method throttling on `/*` `/*`).
   * @default 50
   */
  readonly throttleRateLimitRps?: number;
  /**
   * Requests the whole stage may take at once above the steady rate.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Steady requests per second per API key (the stage's usage plan).
   * @default 10
   */
  readonly keyRateLimitRps?: number;
  /**
   * Burst per API key (the stage's usage plan).
   * @default 20
   */
  readonly keyBurstLimit?: number;
  /**
   * Requests per API key per `quotaPeriod`.
   * @default 10000
   */
  readonly quotaLimit?: number;
  /**
   * The period `quotaLimit` counts over.
   * @default apigw.Period.DAY
   */
  readonly quotaPeriod?: apigw.Period;
  /**
   * API keys generated for the stage's usage plan. Their values are generated
   * by API Gateway and never appear in the template.
   * @default 1
   */
  readonly apiKeyCount?: number;
}

export interface ImageInferenceApiProps {
  /** The SageMaker endpoint stages invoke unless they name their own. */
  readonly endpointName: string;
  /**
   * The deployment stages.
   * @default - `dev` and `prod`, each with the default limits
   */
  readonly stages?: readonly ImageInferenceApiStage[];
  /**
   * Origins browsers may call from: `['*']`, or origins like `https://example.com`.
   * @default ['*']
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Request types that reach the Lambda base64-encoded (and pass through
   * `/invocations` as bytes). Must cover `multipart/form-data`.
   * @default BINARY_MEDIA_TYPES (shared/contract.ts)
   */
  readonly binaryMediaTypes?: readonly string[];
  /**
   * The Lambda's architecture; sharp's binary is bundled to match.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * The Lambda's memory (CPU scales with it).
   * @default 1024
   */
  readonly memorySizeMb?: number;
  /**
   * The Lambda's timeout: below API Gateway's 29 s, with room for a cold
   * start, so a slow model yields the handler's own 504.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
  /**
   * Further handler settings, by config key (shared/predict-env.ts). The
   * endpoint name and the CORS origins come from their own props.
   * @default - the handler's defaults
   */
  readonly functionEnvironment?: Partial<Record<ConfigKey, string | number>>;
  /**
   * How long the function's logs and the access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The REST API's name.
   * @default - the stack name
   */
  readonly restApiName?: string;
}

/** Stage options with every default applied. */
export interface ResolvedStage {
  readonly stageName: string;
  readonly endpointName: string;
  readonly throttleRateLimitRps: number;
  readonly throttleBurstLimit: number;
  readonly keyRateLimitRps: number;
  readonly keyBurstLimit: number;
  readonly quotaLimit: number;
  readonly quotaPeriod: apigw.Period;
  readonly apiKeyCount: number;
}

/** The resources one stage adds. */
export interface ImageInferenceStageResources {
  readonly settings: ResolvedStage;
  readonly stage: apigw.Stage;
  readonly usagePlan: apigw.UsagePlan;
  readonly apiKeys: readonly apigw.ApiKey[];
  readonly accessLogs: logs.LogGroup;
}

export const STAGE_DEFAULTS = {
  throttleRateLimitRps: 50,
  throttleBurstLimit: 100,
  keyRateLimitRps: 10,
  keyBurstLimit: 20,
  quotaLimit: 10_000,
  quotaPeriod: apigw.Period.DAY,
  apiKeyCount: 1,
} as const;

export const DEFAULT_STAGE_NAMES = ['dev', 'prod'] as const;

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const ORIGIN = /^https?:\/\/[^/\s]+$/;
const MEDIA_TYPE = /^(\*\/\*|[A-Za-z0-9!#$&^_.+-]+\/(\*|[A-Za-z0-9!#$&^_.+-]+))$/;

/** True when API Gateway treats `multipart/form-data` as binary under `types`. */
function coversMultipart(types: readonly string[]): boolean {
  return types.some((t) => t === '*/*' || t === 'multipart/*' || t === 'multipart/form-data');
}

/** JSON access log line: enough to tell who was refused, by whom and why. */
const ACCESS_LOG_FORMAT = JSON.stringify({
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
 * The public image API: a Regional REST API with `POST /{stage}/predict`
 * (the predict Lambda) and `POST /{stage}/invocations` (straight to
 * SageMaker Runtime), API keys and usage plans per stage, and every error
 * API Gateway makes restyled as the project's problem+json with CORS.
 */
export class ImageInferenceApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly predictFunction: NodejsFunction;
  /** The role API Gateway assumes to call InvokeEndpoint on `/invocations`. */
  readonly invocationsRole: iam.Role;
  /** Stage name -> its resources, in props order. */
  readonly stages: ReadonlyMap<string, ImageInferenceStageResources>;
  /** The ARNs of the stages' endpoints: all either principal may invoke. */
  readonly endpointArns: readonly string[];
  /** `Retry-After` on 503s: the Lambda's setting, so both routes say the same. */
  readonly retryAfterSeconds: number;

  constructor(scope: Construct, id: string, props: ImageInferenceApiProps) {
    super(scope, id);
    checkEndpointName(this, 'endpointName', props.endpointName);
    const stages = this.resolveStages(props);
    const corsOrigins = props.corsOrigins ?? DEFAULTS.corsAllowOrigins;
    const binaryMediaTypes = props.binaryMediaTypes ?? BINARY_MEDIA_TYPES;
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const memorySizeMb = props.memorySizeMb ?? 1024;
    const timeout = props.timeout ?? Duration.seconds(25);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.validate(props, corsOrigins, binaryMediaTypes, architecture, memorySizeMb, timeout);
    this.retryAfterSeconds = Number(
      props.functionEnvironment?.retryAfterSeconds ?? DEFAULTS.retryAfterSeconds,
    );
    checkInteger(this, 'functionEnvironment.retryAfterSeconds', this.retryAfterSeconds, 1, 3600);

    this.endpointArns = [...new Set(stages.map((s) => s.endpointName))].map((name) =>
      endpointArn(this, name),
    );
    const invoke = new iam.PolicyStatement({
      actions: ['sagemaker:InvokeEndpoint'],
      resources: [...this.endpointArns],
    });

    this.predictFunction = this.createFunction(props, {
      corsOrigins,
      architecture,
      memorySizeMb,
      timeout,
      logRetention,
    });
    this.predictFunction.addToRolePolicy(invoke);

    this.invocationsRole = new iam.Role(this, 'InvocationsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway call SageMaker InvokeEndpoint for POST /{stage}/invocations.',
    });
    this.invocationsRole.addToPolicy(invoke);

    // The first stage comes with the RestApi's own deployment; the others
    // share that deployment, so every API change redeploys all stages.
    const [first, ...others] = stages as [ResolvedStage, ...ResolvedStage[]];
    const stagesScope = new Construct(this, 'Stages');
    const scopes = new Map(
      stages.map((stage) => [stage.stageName, new Construct(stagesScope, stage.stageName)]),
    );
    const accessLogs = new Map(
      stages.map((stage) => [
        stage.stageName,
        new logs.LogGroup(scopes.get(stage.stageName) as Construct, 'AccessLogs', {
          retention: logRetention,
        }),
      ]),
    );
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: props.restApiName ?? Stack.of(this).stackName,
      description: 'Multipart image uploads to a SageMaker endpoint (image-inference-gateway).',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      binaryMediaTypes: [...binaryMediaTypes],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // The account-wide CloudWatch role is not this app's to own.
      cloudWatchRole: false,
      deploy: true,
      deployOptions: stageOptions(first, accessLogs.get(first.stageName) as logs.LogGroup),
    });
    // RestApi's own output names the first stage only; the stack outputs every stage's URL.
    this.restApi.node.tryRemoveChild('Endpoint');

    const validator = this.restApi.addRequestValidator('RequireContentType', {
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Both POST methods validate their parameters (Content-Type required). Body validation needs a JSON Schema model and these bodies are multipart or binary: the Lambda validates every part itself, and /invocations passes bodies to the model unchanged by design.',
    });
    this.addPredictRoute(validator, corsOrigins);
    this.addInvocationsRoute(validator, corsOrigins);
    this.addGatewayResponses(corsOrigins);

    const resources = new Map<string, ImageInferenceStageResources>();
    for (const settings of [first, ...others]) {
      const scope = scopes.get(settings.stageName) as Construct;
      const logGroup = accessLogs.get(settings.stageName) as logs.LogGroup;
      const stage =
        settings === first
          ? this.restApi.deploymentStage
          : new apigw.Stage(scope, 'Stage', {
              deployment: this.restApi.latestDeployment as apigw.Deployment,
              ...stageOptions(settings, logGroup),
            });
      resources.set(settings.stageName, {
        settings,
        stage,
        accessLogs: logGroup,
        ...this.addUsagePlan(scope, settings, stage),
      });
      acknowledgeStage(stage);
    }
    this.stages = resources;
  }

  private resolveStages(props: ImageInferenceApiProps): ResolvedStage[] {
    const given: readonly ImageInferenceApiStage[] =
      props.stages ?? DEFAULT_STAGE_NAMES.map((stageName) => ({ stageName }));
    if (given.length === 0) fail(this, 'stages must list at least one stage, but received []');
    const seen = new Set<string>();
    return given.map((stage, index) => {
      const where = `stages[${index}]`;
      if (!STAGE_NAME.test(stage.stageName)) {
        fail(
          this,
          `${where}.stageName must be 1-128 of A-Z a-z 0-9 _ -, but received ${show(stage.stageName)}`,
        );
      }
      if (seen.has(stage.stageName)) {
        fail(
          this,
          `${where}.stageName must be unique, but ${show(stage.stageName)} is listed twice`,
        );
      }
      seen.add(stage.stageName);
      const resolved: ResolvedStage = {
        ...STAGE_DEFAULTS,
        ...definedOnly(stage),
        stageName: stage.stageName,
        endpointName: stage.endpointName ?? props.endpointName,
      };
      checkEndpointName(this, `${where}.endpointName`, resolved.endpointName);
      checkNumber(this, `${where}.throttleRateLimitRps`, resolved.throttleRateLimitRps, 0, 10_000);
      checkInteger(this, `${where}.throttleBurstLimit`, resolved.throttleBurstLimit, 0, 5_000);
      checkNumber(this, `${where}.keyRateLimitRps`, resolved.keyRateLimitRps, 0, 10_000);
      checkInteger(this, `${where}.keyBurstLimit`, resolved.keyBurstLimit, 0, 5_000);
      checkInteger(this, `${where}.quotaLimit`, resolved.quotaLimit, 1, 2 ** 31 - 1);
      checkInteger(this, `${where}.apiKeyCount`, resolved.apiKeyCount, 1, 10);
      return resolved;
    });
  }

  private validate(
    props: ImageInferenceApiProps,
    corsOrigins: readonly string[],
    binaryMediaTypes: readonly string[],
    architecture: lambda.Architecture,
    memorySizeMb: number,
    timeout: Duration,
  ): void {
    if (corsOrigins.length === 0) {
      fail(this, `corsOrigins must be ['*'] or a list of origins, but received []`);
    }
    for (const origin of corsOrigins) {
      if (origin === '*' && corsOrigins.length > 1) {
        fail(
          this,
          `corsOrigins must be ['*'] alone or origins only, but received ${show(corsOrigins.join(','))}`,
        );
      }
      if (origin !== '*' && !ORIGIN.test(origin)) {
        fail(
          this,
          `corsOrigins must hold * or origins like https://example.com (scheme and host, no path), but received ${show(origin)}`,
        );
      }
    }
    for (const type of binaryMediaTypes) {
      if (!MEDIA_TYPE.test(type)) {
        fail(
          this,
          `binaryMediaTypes must hold media types like image/* or */*, but received ${show(type)}`,
        );
      }
    }
    if (!coversMultipart(binaryMediaTypes)) {
      fail(
        this,
        `binaryMediaTypes must cover multipart/form-data (or uploads reach the Lambda as corrupted text), but received ${show(binaryMediaTypes.join(','))}`,
      );
    }
    if (
      architecture.name !== lambda.Architecture.ARM_64.name &&
      architecture.name !== lambda.Architecture.X86_64.name
    ) {
      fail(this, `architecture must be arm64 or x86_64, but received ${show(architecture.name)}`);
    }
    checkInteger(this, 'memorySizeMb', memorySizeMb, 128, 10_240);
    const timeoutMs = timeout.toMilliseconds();
    if (timeoutMs < 1000 || timeoutMs >= API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS * 1000) {
      fail(
        this,
        `timeout must be from 1 s to less than API Gateway's ${API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS} s, but received ${timeout.toHumanString()}`,
      );
    }
    for (const key of ['endpointName', 'corsAllowOrigins'] as const) {
      if (props.functionEnvironment?.[key] !== undefined) {
        fail(
          this,
          `functionEnvironment.${key} must be left out (its own prop sets ${ENV[key]}), but received ${show(props.functionEnvironment[key])}`,
        );
      }
    }
  }

  private createFunction(
    props: ImageInferenceApiProps,
    options: {
      corsOrigins: readonly string[];
      architecture: lambda.Architecture;
      memorySizeMb: number;
      timeout: Duration;
      logRetention: logs.RetentionDays;
    },
  ): NodejsFunction {
    // Built from the same names the handler's config loader reads.
    const environment: Record<string, string> = {
      [ENV.endpointName]: props.endpointName,
      [ENV.corsAllowOrigins]: options.corsOrigins.join(','),
    };
    for (const [key, value] of Object.entries(props.functionEnvironment ?? {})) {
      if (value !== undefined) environment[ENV[key as ConfigKey]] = String(value);
    }
    // Stack traces through the minified bundle point at the TypeScript.
    environment.NODE_OPTIONS = '--enable-source-maps';

    const fn = new NodejsFunction(this, 'PredictFunction', {
      description: 'POST /{stage}/predict: multipart images -> sharp -> SageMaker InvokeEndpoint.',
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCKFILE,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: options.architecture,
      memorySize: options.memorySizeMb,
      timeout: options.timeout,
      environment,
      logGroup: new logs.LogGroup(this, 'PredictFunctionLogs', {
        retention: options.logRetention,
      }),
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        // Bundle the SDK: the version the tests ran, not the runtime's.
        externalModules: [],
        // sharp is a native module: installed, not bundled, for Lambda's platform.
        nodeModules: ['sharp'],
        forceDockerBundling: false,
        commandHooks: sharpCommandHooks(options.architecture),
      },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWSLambdaBasicExecutionRole only allows creating log streams and putting log events; the function logs to its own log group.',
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime this project targets and tests against (AWS-FACTS.md); moving to a newer Node line is a deliberate upgrade, not a default.',
    });
    return fn;
  }

  private addPredictRoute(validator: apigw.RequestValidator, corsOrigins: readonly string[]): void {
    const resource = this.restApi.root.addResource(ROUTES.predict);
    const method = resource.addMethod(
      'POST',
      new apigw.LambdaIntegration(this.predictFunction, { proxy: true, allowTestInvoke: false }),
      {
        apiKeyRequired: true,
        requestValidator: validator,
        requestParameters: { 'method.request.header.Content-Type': true },
      },
    );
    acknowledgeApiKeyMethod(method);
    this.addPreflight(resource, corsOrigins);
  }

  private addInvocationsRoute(
    validator: apigw.RequestValidator,
    corsOrigins: readonly string[],
  ): void {
    const resource = this.restApi.root.addResource(ROUTES.invocations);
    const integrationResponses = passthroughIntegrationResponses(
      sageMakerErrorSpecs(this.retryAfterSeconds),
      corsResponseHeaders(corsOrigins, 'integration-response'),
    );
    const method = resource.addMethod(
      'POST',
      new apigw.AwsIntegration({
        service: SAGEMAKER_RUNTIME_SERVICE,
        path: INVOCATIONS_PATH,
        integrationHttpMethod: 'POST',
        options: {
          credentialsRole: this.invocationsRole,
          // No templates: the body, binary or not, goes to SageMaker as sent.
          passthroughBehavior: apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
          requestParameters: { ...PASSTHROUGH_REQUEST_PARAMETERS },
          integrationResponses,
        },
      }),
      {
        apiKeyRequired: true,
        requestValidator: validator,
        requestParameters: {
          'method.request.header.Content-Type': true,
          'method.request.header.Accept': false,
          'method.request.header.X-Client-Id': false,
          'method.request.header.X-Request-Id': false,
        },
        methodResponses: passthroughMethodResponses(integrationResponses),
      },
    );
    acknowledgeApiKeyMethod(method);
    this.addPreflight(resource, corsOrigins);
  }

  /**
   * OPTIONS for browsers. The mock integration's request template is text;
   * when a binary type like `*\/*` matches the preflight, API Gateway fails
   * it with 500 unless the integration converts to text (aws-cdk issue
   * 18297). Preflights carry no body, so converting is set whatever the list.
   */
  private addPreflight(resource: apigw.Resource, corsOrigins: readonly string[]): void {
    const preflight = resource.addCorsPreflight({
      allowOrigins: [...corsOrigins],
      allowMethods: ['OPTIONS', 'POST'],
      allowHeaders: [...CORS_ALLOW_HEADERS],
      exposeHeaders: [...EXPOSED_HEADERS],
      maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
    });
    (preflight.node.defaultChild as apigw.CfnMethod).addPropertyOverride(
      'Integration.ContentHandling',
      apigw.ContentHandling.CONVERT_TO_TEXT,
    );
  }

  private addGatewayResponses(corsOrigins: readonly string[]): void {
    const cors = corsResponseHeaders(corsOrigins, 'gateway-response');
    for (const spec of GATEWAY_RESPONSES) {
      const rendered = renderGatewayResponse(spec, cors);
      this.restApi.addGatewayResponse(rendered.type, {
        type: apigw.ResponseType.of(rendered.type),
        statusCode: rendered.statusCode,
        responseHeaders: rendered.responseHeaders,
        templates: rendered.templates,
      });
    }
  }

  private addUsagePlan(
    scope: Construct,
    settings: ResolvedStage,
    stage: apigw.Stage,
  ): { usagePlan: apigw.UsagePlan; apiKeys: apigw.ApiKey[] } {
    const usagePlan = new apigw.UsagePlan(scope, 'UsagePlan', {
      description: `API keys of stage ${settings.stageName}: rate, burst and quota per key.`,
      apiStages: [{ api: this.restApi, stage }],
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
}

function stageOptions(stage: ResolvedStage, accessLogs: logs.LogGroup): apigw.StageOptions {
  return {
    stageName: stage.stageName,
    variables: { [ENDPOINT_NAME_STAGE_VARIABLE]: stage.endpointName },
    throttlingRateLimit: stage.throttleRateLimitRps,
    throttlingBurstLimit: stage.throttleBurstLimit,
    accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
    accessLogFormat: apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
  };
}

/** The props the caller set, without `undefined` values hiding the defaults. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkEndpointName(scope: Construct, name: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!isEndpointName(value)) {
    fail(
      scope,
      `${name} must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received ${show(value)}`,
    );
  }
}

function acknowledgeApiKeyMethod(method: apigw.Method): void {
  const reason =
    'Callers authenticate with API keys (apiKeyRequired) bound to per-stage usage plans with throttling and quotas; a public upload API for forms and curl has no end-user identity for IAM or a Cognito authorizer.';
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
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
      "Execution logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), a per-region singleton this app must not own. Every stage writes JSON access logs with the error type and the integration's status.",
  });
}
