import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '#shared/errors.ts';
import { type Problem, problemType } from '#shared/problem.ts';
import { renderResponse } from '../../testing/mapping-template.ts';
import { readable, resourcesOf, testStack } from '../testing.ts';
import { ImageInferenceApi } from './image-inference-api.ts';
import { sageMakerErrorSpecs } from './passthrough.ts';

function invocationsMethod(corsOrigins?: string[]) {
  const stack = testStack();
  new ImageInferenceApi(stack, 'Api', { endpointName: 'image-moderation', corsOrigins });
  const template = Template.fromStack(stack);
  const resources = resourcesOf(template, 'AWS::ApiGateway::Resource');
  const method = Object.values(resourcesOf(template, 'AWS::ApiGateway::Method')).find(
    (m) =>
      m.HttpMethod === 'POST' &&
      resources[(m.ResourceId as { Ref: string }).Ref]?.PathPart === 'invocations',
  ) as Record<string, unknown>;
  return method as {
    Integration: {
      Type: string;
      Uri: unknown;
      Credentials: unknown;
      IntegrationHttpMethod: string;
      PassthroughBehavior: string;
      ContentHandling?: string;
      RequestTemplates?: unknown;
      RequestParameters: Record<string, string>;
      IntegrationResponses: Array<{
        SelectionPattern?: string;
        StatusCode: string;
        ContentHandling?: string;
        ResponseParameters: Record<string, string>;
        ResponseTemplates?: Record<string, string>;
      }>;
    };
    MethodResponses: Array<{ StatusCode: string; ResponseParameters: Record<string, boolean> }>;
    RequestParameters: Record<string, boolean>;
  };
}

/** How API Gateway matches a selection pattern: against the whole status code. */
function selects(pattern: string, status: number): boolean {
  return new RegExp(`^(?:${pattern})$`).test(String(status));
}

const method = invocationsMethod();
const responses = method.Integration.IntegrationResponses;

describe('POST /{stage}/invocations: the passthrough to SageMaker Runtime', () => {
  it('is an AWS integration to InvokeEndpoint on the endpoint named by the stage variable', () => {
    expect(method.Integration.Type).toBe('AWS');
    expect(method.Integration.IntegrationHttpMethod).toBe('POST');
    expect(readable(method.Integration.Uri)).toBe(
      `arn:<AWS::Partition>:apigateway:<AWS::Region>:runtime.sagemaker:path/endpoints/\${stageVariables.endpointName}/invocations`,
    );
    expect(readable(method.Integration.Credentials)).toMatch(/^<ApiInvocationsRole\w+\.Arn>$/);
  });

  it('passes the body through untouched: no templates, no content conversion', () => {
    expect(method.Integration.PassthroughBehavior).toBe('WHEN_NO_TEMPLATES');
    expect(method.Integration).not.toHaveProperty('RequestTemplates');
    expect(method.Integration).not.toHaveProperty('ContentHandling');
  });

  it('maps X-Client-Id to custom attributes and X-Request-Id to the inference id', () => {
    expect(method.Integration.RequestParameters).toEqual({
      'integration.request.header.Content-Type': 'method.request.header.Content-Type',
      'integration.request.header.Accept': 'method.request.header.Accept',
      'integration.request.header.X-Amzn-SageMaker-Custom-Attributes':
        'method.request.header.X-Client-Id',
      'integration.request.header.X-Amzn-SageMaker-Inference-Id':
        'method.request.header.X-Request-Id',
    });
    expect(method.RequestParameters).toEqual({
      'method.request.header.Content-Type': true,
      'method.request.header.Accept': false,
      'method.request.header.X-Client-Id': false,
      'method.request.header.X-Request-Id': false,
    });
  });
});

describe('POST /{stage}/invocations: SageMaker errors', () => {
  // SageMaker status -> the status and code the client gets.
  const expected: Array<[number, number, keyof typeof ERROR_CATALOGUE]> = [
    [400, 502, 'ENDPOINT_REJECTED_REQUEST'],
    [403, 500, 'INTERNAL_ERROR'],
    [404, 502, 'ENDPOINT_REJECTED_REQUEST'],
    [413, 413, 'REQUEST_TOO_LARGE'],
    [424, 502, 'MODEL_ERROR'],
    [429, 503, 'ENDPOINT_UNAVAILABLE'],
    [500, 502, 'ENDPOINT_FAILURE'],
    [502, 502, 'ENDPOINT_FAILURE'],
    [503, 503, 'ENDPOINT_UNAVAILABLE'],
    [504, 502, 'ENDPOINT_FAILURE'],
    [530, 502, 'ENDPOINT_FAILURE'],
  ];

  it.each(expected)('SageMaker %i becomes %i %s', (sageMaker, status, code) => {
    const matching = responses.filter(
      (r) => r.SelectionPattern !== undefined && selects(r.SelectionPattern, sageMaker),
    );
    expect(matching).toHaveLength(1);
    const [response] = matching as [(typeof responses)[number]];
    expect(response.StatusCode).toBe(String(status));
    const body = JSON.parse(
      renderResponse(response.ResponseTemplates?.['application/json'] ?? '').output,
    ) as Problem;
    expect(body).toMatchObject({
      type: problemType(code),
      title: ERROR_CATALOGUE[code].title,
      status,
      code,
      requestId: 'req-1',
    });
    expect(response.ResponseParameters['method.response.header.Content-Type']).toBe(
      "'application/problem+json'",
    );
    expect(response.ContentHandling).toBe('CONVERT_TO_TEXT');
  });

  it('selects exactly one error response for every status from 400 to 599, so no error becomes a 200', () => {
    for (let status = 400; status <= 599; status++) {
      const matching = responses.filter(
        (r) => r.SelectionPattern !== undefined && selects(r.SelectionPattern, status),
      );
      expect(matching, `status ${status}`).toHaveLength(1);
      expect(matching[0]?.StatusCode).not.toBe('200');
    }
    for (const status of [200, 201, 204]) {
      expect(
        responses.filter(
          (r) => r.SelectionPattern !== undefined && selects(r.SelectionPattern, status),
        ),
      ).toEqual([]);
    }
  });

  it('sends Retry-After with every 503, the same number of seconds as the Lambda', () => {
    const unavailable = responses.filter((r) => r.StatusCode === '503');
    expect(unavailable.map((r) => r.SelectionPattern)).toEqual(['429', '503']);
    for (const response of unavailable) {
      expect(response.ResponseParameters['method.response.header.Retry-After']).toBe("'2'");
    }
  });

  it('passes the model answer through with its Content-Type and variant, and CORS headers on every response', () => {
    const success = responses.find((r) => r.SelectionPattern === undefined);
    expect(success).toEqual({
      StatusCode: '200',
      ResponseParameters: {
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.Access-Control-Expose-Headers': "'x-request-id,retry-after'",
        'method.response.header.X-Request-Id': 'context.requestId',
        'method.response.header.Content-Type': 'integration.response.header.Content-Type',
        'method.response.header.X-Amzn-Invoked-Production-Variant':
          'integration.response.header.X-Amzn-Invoked-Production-Variant',
      },
    });
    for (const response of responses) {
      expect(
        response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'],
      ).toBe("'*'");
    }
  });

  it('declares every header an integration response sets in the method response of its status', () => {
    const declared = new Map(
      method.MethodResponses.map((r) => [r.StatusCode, Object.keys(r.ResponseParameters)]),
    );
    // 400: the ValidationError template's answer to a refused X-Request-Id or X-Client-Id.
    expect([...declared.keys()].sort()).toEqual(['200', '400', '413', '500', '502', '503']);
    for (const response of responses) {
      for (const header of Object.keys(response.ResponseParameters)) {
        expect(declared.get(response.StatusCode)).toContain(header);
      }
    }
  });

  it('answers browsers from the first origin when several are allowed (an integration response cannot read the Origin header)', () => {
    const several = invocationsMethod(['https://a.example', 'https://b.example']);
    for (const response of several.Integration.IntegrationResponses) {
      expect(
        response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'],
      ).toBe("'https://a.example'");
      expect(response.ResponseParameters['method.response.header.Vary']).toBe("'Origin'");
    }
  });

  it('words the busy detail with the Retry-After it sends', () => {
    const busy = sageMakerErrorSpecs(7).filter((spec) => spec.code === 'ENDPOINT_UNAVAILABLE');
    expect(busy.map((spec) => [spec.detail, spec.retryAfterSeconds])).toEqual([
      ['The endpoint is busy or not ready; retry after 7 s.', 7],
      ['The endpoint is busy or not ready; retry after 7 s.', 7],
    ]);
  });
});
