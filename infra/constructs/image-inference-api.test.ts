import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { BINARY_MEDIA_TYPES } from '#shared/contract.ts';
import { ENV } from '#shared/predict-env.ts';
import { onlyResource, policyStatements, readable, resourcesOf, testStack } from '../testing.ts';
import { ImageInferenceApi, type ImageInferenceApiProps } from './image-inference-api.ts';
import { PropsError } from './validate.ts';

function synth(props: Partial<ImageInferenceApiProps> = {}): Template {
  const stack = testStack();
  new ImageInferenceApi(stack, 'Api', { endpointName: 'image-moderation', ...props });
  return Template.fromStack(stack);
}

/** Methods by `<HttpMethod> <path part>`, e.g. `POST predict`. */
function methods(template: Template): Record<string, Record<string, unknown>> {
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown) =>
    resources[(ref as { Ref: string }).Ref]?.PathPart as string | undefined;
  return Object.fromEntries(
    Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).map((method) => [
      `${method.HttpMethod} ${pathOf(method.ResourceId)}`,
      method,
    ]),
  );
}

/** Stage name -> the stage's properties. */
function stages(template: Template): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.values(resourcesOf(template, 'AWS::ApiGateway::Stage')).map((stage) => [
      stage.StageName as string,
      stage,
    ]),
  );
}

const defaultTemplate = synth();

describe('ImageInferenceApi: the REST API', () => {
  it('is Regional, takes keys from the x-api-key header, and uses the contract binary media types', () => {
    const api = onlyResource(defaultTemplate, 'AWS::ApiGateway::RestApi');
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(api.ApiKeySourceType).toBe('HEADER');
    expect(api.BinaryMediaTypes).toEqual([...BINARY_MEDIA_TYPES]);
    expect(api.BinaryMediaTypes).toEqual(['multipart/form-data', 'image/*']);
  });

  it('has exactly POST and OPTIONS on /predict and /invocations, and requires the API key on both POSTs', () => {
    const byName = methods(defaultTemplate);
    expect(Object.keys(byName).sort()).toEqual([
      'OPTIONS invocations',
      'OPTIONS predict',
      'POST invocations',
      'POST predict',
    ]);
    expect(byName['POST predict']?.ApiKeyRequired).toBe(true);
    expect(byName['POST invocations']?.ApiKeyRequired).toBe(true);
    expect(byName['OPTIONS predict']?.ApiKeyRequired).toBe(false);
    expect(byName['OPTIONS invocations']?.ApiKeyRequired).toBe(false);
  });

  it('validates that both POSTs carry a Content-Type header', () => {
    const validators = resourcesOf(defaultTemplate, 'AWS::ApiGateway::RequestValidator');
    const [[validatorId, validator]] = Object.entries(validators) as [[string, unknown]];
    expect(validator).toMatchObject({
      ValidateRequestParameters: true,
      ValidateRequestBody: false,
    });
    for (const name of ['POST predict', 'POST invocations']) {
      const method = methods(defaultTemplate)[name];
      expect(method?.RequestValidatorId).toEqual({ Ref: validatorId });
      expect(method?.RequestParameters).toMatchObject({
        'method.request.header.Content-Type': true,
      });
    }
  });

  it('sends POST /predict to the Lambda as a proxy integration', () => {
    const integration = methods(defaultTemplate)['POST predict']?.Integration as Record<
      string,
      unknown
    >;
    expect(integration.Type).toBe('AWS_PROXY');
    expect(integration.IntegrationHttpMethod).toBe('POST');
    expect(readable(integration.Uri)).toMatch(
      /^arn:<AWS::Partition>:apigateway:<AWS::Region>:lambda:path\/2015-03-31\/functions\/<ApiPredictFunction\w+\.Arn>\/invocations$/,
    );
  });
});

describe('ImageInferenceApi: stages, usage plans and keys', () => {
  it('creates dev and prod by default, each with its endpointName stage variable, throttling and JSON access logs', () => {
    const byName = stages(defaultTemplate);
    expect(Object.keys(byName).sort()).toEqual(['dev', 'prod']);
    for (const stage of Object.values(byName)) {
      expect(stage.Variables).toEqual({ endpointName: 'image-moderation' });
      expect(stage.MethodSettings).toEqual([
        {
          DataTraceEnabled: false,
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingBurstLimit: 100,
          ThrottlingRateLimit: 50,
        },
      ]);
      const log = stage.AccessLogSetting as { Format: string; DestinationArn: unknown };
      expect(Object.keys(JSON.parse(log.Format))).toEqual([
        'requestId',
        'requestTime',
        'ip',
        'apiKeyId',
        'httpMethod',
        'resourcePath',
        'status',
        'responseLength',
        'responseLatency',
        'errorType',
        'errorMessage',
        'integrationStatus',
        'integrationLatency',
      ]);
      expect(readable(log.DestinationArn)).toMatch(
        /^arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<ApiStages\w+AccessLogs\w+>$/,
      );
    }
  });

  it('gives every stage its own usage plan with throttle and quota, and its own keys', () => {
    const template = synth({
      stages: [
        { stageName: 'dev', keyRateLimitRps: 2, keyBurstLimit: 4, quotaLimit: 100, apiKeyCount: 2 },
        { stageName: 'prod', endpointName: 'prod-model', quotaPeriod: Period.MONTH },
      ],
    });
    const stageIds = Object.fromEntries(
      Object.entries(resourcesOf(template, 'AWS::ApiGateway::Stage')).map(([id, s]) => [
        s.StageName as string,
        id,
      ]),
    );
    const plans = resourcesOf(template, 'AWS::ApiGateway::UsagePlan');
    const planOf = (stage: string) =>
      Object.entries(plans).find(
        ([, plan]) =>
          (plan.ApiStages as Array<{ Stage: { Ref: string } }>)[0]?.Stage.Ref === stageIds[stage],
      ) as [string, Record<string, unknown>];
    const [devPlanId, devPlan] = planOf('dev');
    const [prodPlanId, prodPlan] = planOf('prod');
    expect(Object.keys(plans)).toHaveLength(2);
    expect(devPlan.Throttle).toEqual({ RateLimit: 2, BurstLimit: 4 });
    expect(devPlan.Quota).toEqual({ Limit: 100, Period: 'DAY' });
    expect(prodPlan.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
    expect(prodPlan.Quota).toEqual({ Limit: 10000, Period: 'MONTH' });

    const keysByPlan = new Map<string, number>();
    for (const link of Object.values(resourcesOf(template, 'AWS::ApiGateway::UsagePlanKey'))) {
      const plan = (link.UsagePlanId as { Ref: string }).Ref;
      keysByPlan.set(plan, (keysByPlan.get(plan) ?? 0) + 1);
    }
    expect(Object.fromEntries(keysByPlan)).toEqual({ [devPlanId]: 2, [prodPlanId]: 1 });
    expect(stages(template).prod?.Variables).toEqual({ endpointName: 'prod-model' });
  });

  it('never puts an API key value in the template', () => {
    const keys = Object.values(resourcesOf(defaultTemplate, 'AWS::ApiGateway::ApiKey'));
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).not.toHaveProperty('Value');
      expect(key.Enabled).toBe(true);
    }
  });
});

describe('ImageInferenceApi: CORS', () => {
  it('answers preflights with the allowed headers and methods, and exposes x-request-id and retry-after', () => {
    for (const name of ['OPTIONS predict', 'OPTIONS invocations']) {
      const integration = methods(defaultTemplate)[name]?.Integration as {
        IntegrationResponses: Array<{ ResponseParameters: Record<string, string> }>;
      };
      expect(integration.IntegrationResponses[0]?.ResponseParameters).toEqual({
        'method.response.header.Access-Control-Allow-Headers':
          "'content-type,x-api-key,x-request-id,x-client-id'",
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.Access-Control-Allow-Methods': "'OPTIONS,POST'",
        'method.response.header.Access-Control-Max-Age': "'600'",
        'method.response.header.Access-Control-Expose-Headers': "'x-request-id,retry-after'",
      });
    }
  });

  it('converts preflights to text, so listing */* as binary cannot break them (aws-cdk issue 18297)', () => {
    const template = synth({ binaryMediaTypes: ['*/*'] });
    expect(onlyResource(template, 'AWS::ApiGateway::RestApi').BinaryMediaTypes).toEqual(['*/*']);
    for (const name of ['OPTIONS predict', 'OPTIONS invocations']) {
      const integration = methods(template)[name]?.Integration as Record<string, unknown>;
      expect(integration.Type).toBe('MOCK');
      expect(integration.ContentHandling).toBe('CONVERT_TO_TEXT');
    }
  });

  it('lets the Lambda check origins against the list, and echoes a listed origin on preflight', () => {
    const origins = ['https://a.example', 'https://b.example'];
    const template = synth({ corsOrigins: origins });
    const fn = onlyResource(template, 'AWS::Lambda::Function');
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
      [ENV.corsAllowOrigins]: 'https://a.example,https://b.example',
    });
    const preflight = methods(template)['OPTIONS predict']?.Integration as {
      IntegrationResponses: Array<{ ResponseTemplates: Record<string, string> }>;
    };
    expect(preflight.IntegrationResponses[0]?.ResponseTemplates['application/json']).toContain(
      '$origin == "https://b.example"',
    );
  });
});

describe('ImageInferenceApi: the predict function', () => {
  it('runs Node 22 on arm64 with the default memory and a timeout under API Gateway 29 s', () => {
    const fn = onlyResource(defaultTemplate, 'AWS::Lambda::Function');
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.MemorySize).toBe(1024);
    expect(fn.Timeout).toBe(25);
    expect(fn.Handler).toBe('index.handler');
  });

  it('runs on x86_64 when asked, with memory and timeout from props', () => {
    const fn = onlyResource(
      synth({
        architecture: Architecture.X86_64,
        memorySizeMb: 2048,
        timeout: Duration.seconds(20),
      }),
      'AWS::Lambda::Function',
    );
    expect(fn.Architectures).toEqual(['x86_64']);
    expect(fn.MemorySize).toBe(2048);
    expect(fn.Timeout).toBe(20);
  });

  it('gets its environment from the names the handler reads (shared/predict-env.ts)', () => {
    const fn = onlyResource(
      synth({ functionEnvironment: { maxFiles: 3, resizeFit: 'contain', modelLabels: 'a,b' } }),
      'AWS::Lambda::Function',
    );
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toEqual({
      SAGEMAKER_ENDPOINT_NAME: 'image-moderation',
      CORS_ALLOW_ORIGINS: '*',
      MAX_FILES: '3',
      RESIZE_FIT: 'contain',
      MODEL_LABELS: 'a,b',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('logs to its own log group, kept for a month', () => {
    const fn = onlyResource(defaultTemplate, 'AWS::Lambda::Function');
    const groups = resourcesOf(defaultTemplate, 'AWS::Logs::LogGroup');
    const ref = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(groups[ref]?.RetentionInDays).toBe(30);
  });
});

describe('ImageInferenceApi: IAM', () => {
  it('allows sagemaker:InvokeEndpoint on exactly the stages endpoint ARNs, lower-cased, for the Lambda and the passthrough role', () => {
    const template = synth({
      endpointName: 'Image-Moderation',
      stages: [
        { stageName: 'dev' },
        { stageName: 'qa' },
        { stageName: 'prod', endpointName: 'prod-model' },
      ],
    });
    const sagemaker = policyStatements(template).filter((statement) =>
      JSON.stringify(statement.Action).includes('sagemaker'),
    );
    expect(sagemaker).toHaveLength(2);
    for (const statement of sagemaker) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Action).toBe('sagemaker:InvokeEndpoint');
      expect((statement.Resource as unknown[]).map(readable)).toEqual([
        'arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/image-moderation',
        'arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/prod-model',
      ]);
    }
    // The stage variable keeps the name as written: SageMaker matches names case-insensitively.
    expect(stages(template).dev?.Variables).toEqual({ endpointName: 'Image-Moderation' });
  });

  it('grants nothing else to the passthrough role, which only API Gateway can assume', () => {
    const roles = resourcesOf(defaultTemplate, 'AWS::IAM::Role');
    const invocations = Object.entries(roles).find(([id]) => id.startsWith('ApiInvocationsRole'));
    expect(invocations?.[1].AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'apigateway.amazonaws.com' },
        },
      ],
    });
    expect(invocations?.[1]).not.toHaveProperty('ManagedPolicyArns');
    const statements = Object.entries(resourcesOf(defaultTemplate, 'AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ApiInvocationsRole'))
      .flatMap(([, p]) => (p.PolicyDocument as { Statement: unknown[] }).Statement);
    expect(statements).toHaveLength(1);
  });
});

describe('ImageInferenceApi: prop validation', () => {
  const cases: Array<{ what: string; props: Partial<ImageInferenceApiProps>; message: string }> = [
    {
      what: 'an invalid endpoint name',
      props: { endpointName: 'image_moderation' },
      message:
        'endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "image_moderation"',
    },
    {
      what: 'no stages',
      props: { stages: [] },
      message: 'stages must list at least one stage, but received []',
    },
    {
      what: 'a stage name with a slash',
      props: { stages: [{ stageName: 'dev/1' }] },
      message: 'stages[0].stageName must be 1-128 of A-Z a-z 0-9 _ -, but received "dev/1"',
    },
    {
      what: 'a stage twice',
      props: { stages: [{ stageName: 'dev' }, { stageName: 'dev' }] },
      message: 'stages[1].stageName must be unique, but "dev" is listed twice',
    },
    {
      what: "an invalid stage's endpoint name",
      props: { stages: [{ stageName: 'dev', endpointName: '-x' }] },
      message:
        'stages[0].endpointName must be a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -), but received "-x"',
    },
    {
      what: 'a negative rate',
      props: { stages: [{ stageName: 'dev', throttleRateLimitRps: -1 }] },
      message: 'stages[0].throttleRateLimitRps must be a number from 0 to 10000, but received -1',
    },
    {
      what: 'a fractional burst',
      props: { stages: [{ stageName: 'dev', keyBurstLimit: 2.5 }] },
      message: 'stages[0].keyBurstLimit must be an integer from 0 to 5000, but received 2.5',
    },
    {
      what: 'a zero quota',
      props: { stages: [{ stageName: 'dev', quotaLimit: 0 }] },
      message: 'stages[0].quotaLimit must be an integer from 1 to 2147483647, but received 0',
    },
    {
      what: 'no API key',
      props: { stages: [{ stageName: 'dev', apiKeyCount: 0 }] },
      message: 'stages[0].apiKeyCount must be an integer from 1 to 10, but received 0',
    },
    {
      what: 'an origin with a path',
      props: { corsOrigins: ['https://example.com/app'] },
      message:
        'corsOrigins must hold * or origins like https://example.com (scheme and host, no path), but received "https://example.com/app"',
    },
    {
      what: '* with an origin',
      props: { corsOrigins: ['*', 'https://example.com'] },
      message:
        'corsOrigins must be [\'*\'] alone or origins only, but received "*,https://example.com"',
    },
    {
      what: 'binary types that miss multipart',
      props: { binaryMediaTypes: ['image/*'] },
      message:
        'binaryMediaTypes must cover multipart/form-data (or uploads reach the Lambda as corrupted text), but received "image/*"',
    },
    {
      what: 'a malformed media type',
      props: { binaryMediaTypes: ['multipart'] },
      message:
        'binaryMediaTypes must hold media types like image/* or */*, but received "multipart"',
    },
    {
      what: 'too little memory',
      props: { memorySizeMb: 64 },
      message: 'memorySizeMb must be an integer from 128 to 10240, but received 64',
    },
    {
      what: "a timeout at API Gateway's",
      props: { timeout: Duration.seconds(29) },
      message: "timeout must be from 1 s to less than API Gateway's 29 s, but received 29 seconds",
    },
    {
      what: 'the endpoint name in functionEnvironment',
      props: { functionEnvironment: { endpointName: 'other' } },
      message:
        'functionEnvironment.endpointName must be left out (its own prop sets SAGEMAKER_ENDPOINT_NAME), but received "other"',
    },
    {
      what: 'a non-numeric Retry-After',
      props: { functionEnvironment: { retryAfterSeconds: 'soon' } },
      message:
        'functionEnvironment.retryAfterSeconds must be an integer from 1 to 3600, but received NaN',
    },
  ];

  it.each(cases)('refuses $what', ({ props, message }) => {
    let error: unknown;
    try {
      new ImageInferenceApi(testStack(), 'Api', { endpointName: 'image-moderation', ...props });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropsError);
    expect((error as PropsError).message).toBe(message);
    expect((error as PropsError).constructPath).toBe('Test/Api');
  });
});
