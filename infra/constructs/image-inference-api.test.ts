import { describe, expect, it } from 'vitest';
import { BINARY_MEDIA_TYPES } from '#shared/contract.ts';
import { ENV } from '#shared/predict-env.ts';
import {
  methodsByRoute,
  onlyResource,
  policyStatements,
  readable,
  resourcesOf,
  stagesByName,
  synthApi,
} from '../testing.ts';

const defaultTemplate = synthApi();

describe('ImageInferenceApi: the REST API', () => {
  it('is Regional, takes keys from the x-api-key header, and uses the contract binary media types', () => {
    const api = onlyResource(defaultTemplate, 'AWS::ApiGateway::RestApi');
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    expect(api.ApiKeySourceType).toBe('HEADER');
    expect(api.BinaryMediaTypes).toEqual([...BINARY_MEDIA_TYPES]);
    expect(api.BinaryMediaTypes).toEqual([
      'multipart/form-data',
      'image/*',
      'application/x-image',
      'application/x-npy',
    ]);
  });

  it('has exactly POST and OPTIONS on /predict and /invocations, and requires the API key on both POSTs', () => {
    const byName = methodsByRoute(defaultTemplate);
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
      const method = methodsByRoute(defaultTemplate)[name];
      expect(method?.RequestValidatorId).toEqual({ Ref: validatorId });
      expect(method?.RequestParameters).toMatchObject({
        'method.request.header.Content-Type': true,
      });
    }
  });

  it('sends POST /predict to the Lambda as a proxy integration', () => {
    const integration = methodsByRoute(defaultTemplate)['POST predict']?.Integration as Record<
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

describe('ImageInferenceApi: CORS', () => {
  it('answers preflights with the allowed headers and methods, and exposes x-request-id and retry-after', () => {
    for (const name of ['OPTIONS predict', 'OPTIONS invocations']) {
      const integration = methodsByRoute(defaultTemplate)[name]?.Integration as {
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
    const template = synthApi({ binaryMediaTypes: ['*/*'] });
    expect(onlyResource(template, 'AWS::ApiGateway::RestApi').BinaryMediaTypes).toEqual(['*/*']);
    for (const name of ['OPTIONS predict', 'OPTIONS invocations']) {
      const integration = methodsByRoute(template)[name]?.Integration as Record<string, unknown>;
      expect(integration.Type).toBe('MOCK');
      expect(integration.ContentHandling).toBe('CONVERT_TO_TEXT');
    }
  });

  it('lets the Lambda check origins against the list, and echoes a listed origin on preflight', () => {
    const origins = ['https://a.example', 'https://b.example'];
    const template = synthApi({ corsOrigins: origins });
    const fn = onlyResource(template, 'AWS::Lambda::Function');
    expect((fn.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
      [ENV.corsAllowOrigins]: 'https://a.example,https://b.example',
    });
    const preflight = methodsByRoute(template)['OPTIONS predict']?.Integration as {
      IntegrationResponses: Array<{ ResponseTemplates: Record<string, string> }>;
    };
    expect(preflight.IntegrationResponses[0]?.ResponseTemplates['application/json']).toContain(
      '$origin == "https://b.example"',
    );
  });
});

describe('ImageInferenceApi: IAM', () => {
  it('allows sagemaker:InvokeEndpoint on exactly the stages endpoint ARNs, lower-cased, for the Lambda and the passthrough role', () => {
    const template = synthApi({
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
    expect(stagesByName(template).dev?.Variables).toEqual({ endpointName: 'Image-Moderation' });
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
