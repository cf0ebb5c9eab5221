import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AWS_GATEWAY_RESPONSE_STATUS, type GatewayResponseType } from '#shared/aws-facts.ts';
import { ERROR_CATALOGUE, type ErrorCode } from '#shared/errors.ts';
import { type Problem, problemType } from '#shared/problem.ts';
import { resourcesOf, testStack } from '../testing.ts';
import { corsResponseHeaders } from './cors.ts';
import { GATEWAY_RESPONSES } from './gateway-responses.ts';
import { ImageInferenceApi } from './image-inference-api.ts';
import { GATEWAY_MESSAGE, problemTemplate } from './problem-template.ts';

interface GatewayResponse {
  ResponseType: string;
  StatusCode?: string;
  ResponseParameters: Record<string, string>;
  ResponseTemplates: Record<string, string>;
}

function gatewayResponses(corsOrigins?: string[]): Record<string, GatewayResponse> {
  const stack = testStack();
  new ImageInferenceApi(stack, 'Api', { endpointName: 'image-moderation', corsOrigins });
  const all = resourcesOf(Template.fromStack(stack), 'AWS::ApiGateway::GatewayResponse');
  return Object.fromEntries(
    Object.values(all).map((r) => [r.ResponseType as string, r as unknown as GatewayResponse]),
  );
}

/** The body API Gateway sends: the template with its variables substituted. */
function render(template: string, message = 'Forbidden'): Problem {
  return JSON.parse(
    template
      .replace('$context.requestId', 'a1b2c3')
      .replace(GATEWAY_MESSAGE, JSON.stringify(message)),
  ) as Problem;
}

const byType = gatewayResponses();

describe('gateway responses', () => {
  // Gateway response type -> the code (and so the status) clients see.
  const expected: Array<[GatewayResponseType, ErrorCode]> = [
    ['DEFAULT_5XX', 'INTEGRATION_FAILURE'],
    ['INVALID_API_KEY', 'INVALID_API_KEY'],
    ['MISSING_AUTHENTICATION_TOKEN', 'MISSING_AUTHENTICATION_TOKEN'],
    ['THROTTLED', 'THROTTLED'],
    ['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED'],
    ['INTEGRATION_TIMEOUT', 'ENDPOINT_TIMEOUT'],
    ['INTEGRATION_FAILURE', 'INTEGRATION_FAILURE'],
    ['API_CONFIGURATION_ERROR', 'INTERNAL_ERROR'],
    ['BAD_REQUEST_PARAMETERS', 'BAD_REQUEST_PARAMETERS'],
    ['BAD_REQUEST_BODY', 'BAD_REQUEST_BODY'],
    ['REQUEST_TOO_LARGE', 'REQUEST_TOO_LARGE'],
    ['ACCESS_DENIED', 'ACCESS_DENIED'],
    ['AUTHORIZER_CONFIGURATION_ERROR', 'INTERNAL_ERROR'],
    ['AUTHORIZER_FAILURE', 'INTERNAL_ERROR'],
    ['EXPIRED_TOKEN', 'EXPIRED_TOKEN'],
    ['INVALID_SIGNATURE', 'INVALID_SIGNATURE'],
    ['RESOURCE_NOT_FOUND', 'RESOURCE_NOT_FOUND'],
    ['UNAUTHORIZED', 'UNAUTHORIZED'],
    ['UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_MEDIA_TYPE'],
    ['WAF_FILTERED', 'WAF_FILTERED'],
  ];

  it('restyles every response type API Gateway documents, and DEFAULT_4XX', () => {
    expect(Object.keys(byType).sort()).toEqual(Object.keys(AWS_GATEWAY_RESPONSE_STATUS).sort());
    expect([...expected.map(([type]) => type), 'DEFAULT_4XX'].sort()).toEqual(
      Object.keys(byType).sort(),
    );
  });

  it.each(expected)(
    '%s answers %s as problem+json with its status and CORS headers',
    (type, code) => {
      const response = byType[type] as GatewayResponse;
      const { status, title } = ERROR_CATALOGUE[code];
      expect(response.StatusCode).toBe(String(status));
      expect(response.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
        'gatewayresponse.header.Access-Control-Expose-Headers': "'x-request-id,retry-after'",
      });
      expect(Object.keys(response.ResponseTemplates)).toEqual(['application/json']);
      const body = render(response.ResponseTemplates['application/json'] as string);
      expect(Object.keys(body)).toEqual(['type', 'title', 'status', 'detail', 'code', 'requestId']);
      expect(body).toMatchObject({
        type: problemType(code),
        title,
        status,
        code,
        requestId: 'a1b2c3',
      });
      expect(body.detail.length).toBeGreaterThan(0);
    },
  );

  // Where the project answers otherwise than API Gateway would, and why.
  const deliberate: Partial<Record<GatewayResponseType, number>> = {
    // The backend could not be invoked: clients see the 502 a failed Lambda gives.
    INTEGRATION_FAILURE: 502,
    // What reaches it is AWS's own 502 for a failed or invalid Lambda answer.
    DEFAULT_5XX: 502,
  };

  it.each(
    Object.entries(AWS_GATEWAY_RESPONSE_STATUS).filter(([type]) => type !== 'DEFAULT_4XX') as Array<
      [GatewayResponseType, number | null]
    >,
  )("%s keeps API Gateway's own status (%s)", (type, awsStatus) => {
    expect(Number(byType[type]?.StatusCode)).toBe(deliberate[type] ?? awsStatus);
  });

  it.each([
    ['WAF_FILTERED', 403],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['ACCESS_DENIED', 403],
    ['UNAUTHORIZED', 401],
    ['RESOURCE_NOT_FOUND', 404],
    ['EXPIRED_TOKEN', 403],
    ['INVALID_SIGNATURE', 403],
  ] as const)('%s answers %i, not a fallback 400', (type, status) => {
    expect(byType[type]?.StatusCode).toBe(String(status));
    const body = render(byType[type]?.ResponseTemplates['application/json'] as string);
    expect(body).toMatchObject({ status, code: type });
  });

  it('DEFAULT_4XX keeps the original status: no StatusCode, and a body that claims none', () => {
    const response = byType.DEFAULT_4XX as GatewayResponse;
    expect(response).not.toHaveProperty('StatusCode');
    expect(response.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Content-Type': "'application/problem+json'",
      'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
    });
    const body = render(response.ResponseTemplates['application/json'] as string);
    expect(body).toEqual({
      type: problemType('REQUEST_REJECTED'),
      title: ERROR_CATALOGUE.REQUEST_REJECTED.title,
      detail: 'Forbidden',
      code: 'REQUEST_REJECTED',
      requestId: 'a1b2c3',
    });
  });

  it("passes API Gateway's own message on as the detail of DEFAULT_4XX, escaped as JSON", () => {
    const body = render(
      byType.DEFAULT_4XX?.ResponseTemplates['application/json'] as string,
      'Invalid "x"\nvalue',
    );
    expect(body.detail).toBe('Invalid "x"\nvalue');
  });

  it('tells throttled clients when to retry', () => {
    expect(byType.THROTTLED?.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    expect(byType.QUOTA_EXCEEDED?.ResponseParameters).not.toHaveProperty(
      'gatewayresponse.header.Retry-After',
    );
  });

  it('echoes the Origin header when several origins are allowed, with Vary: Origin', () => {
    const several = gatewayResponses(['https://a.example', 'https://b.example']);
    for (const response of Object.values(several)) {
      expect(response.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Origin'",
      });
    }
  });

  it('sends the one origin as a static value when one is allowed', () => {
    const one = gatewayResponses(['https://app.example']);
    expect(one.INVALID_API_KEY?.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example'",
      'gatewayresponse.header.Vary': "'Origin'",
    });
  });

  it('has one spec per type', () => {
    const types = GATEWAY_RESPONSES.map((spec) => spec.type);
    expect(new Set(types).size).toBe(types.length);
  });
});

describe('problemTemplate', () => {
  it('leaves status out when asked, keeping the member order otherwise', () => {
    const body = JSON.parse(
      problemTemplate('REQUEST_REJECTED', 'Refused.', { withStatus: false }).replace(
        '$context.requestId',
        'r',
      ),
    ) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['type', 'title', 'detail', 'code', 'requestId']);
  });

  it('refuses a fixed detail that VTL would interpret', () => {
    expect(() => problemTemplate('INTERNAL_ERROR', 'costs $5')).toThrow(
      'A fixed problem detail must not contain $ or # (VTL syntax), but received "costs $5"',
    );
  });
});

describe('corsResponseHeaders', () => {
  it.each([
    [
      ['*'],
      'gateway-response',
      {
        'Access-Control-Allow-Origin': "'*'",
        'Access-Control-Expose-Headers': "'x-request-id,retry-after'",
      },
    ],
    [
      ['https://a.example', 'https://b.example'],
      'integration-response',
      {
        'Access-Control-Allow-Origin': "'https://a.example'",
        'Access-Control-Expose-Headers': "'x-request-id,retry-after'",
        Vary: "'Origin'",
      },
    ],
  ] as const)('%j in a %s', (origins, kind, headers) => {
    expect(corsResponseHeaders(origins, kind)).toEqual(headers);
  });
});
