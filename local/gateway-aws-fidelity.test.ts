/**
 * Details the local gateway reproduces because AWS does them (issue 12):
 * binaryMediaTypes and contentHandling on the passthrough route's AWS
 * integration, the multiple-origin CORS preflight template, the headers on
 * every response, and the request context and headers of the v1 event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';
import {
  idsOf,
  type SageMakerStandIn,
  startGateway,
  startSageMakerStandIn,
  TEST_KEY,
  type Template,
  template,
} from './test/harness.ts';

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);

describe('binaryMediaTypes and contentHandling on the AWS integration', () => {
  let sagemaker: SageMakerStandIn;
  beforeAll(async () => {
    // Answers with the request's own body and type, so the way back can be seen too.
    sagemaker = await startSageMakerStandIn((request) => ({
      contentType: String(request.headers['content-type'] ?? 'application/octet-stream'),
      body: request.body,
    }));
  });
  afterAll(() => sagemaker.close());

  async function send(t: Template, body: Buffer, headers: Record<string, string>) {
    const gateway = await startGateway(t, sagemaker.url);
    try {
      const response = await fetch(`${gateway.url}/dev/invocations`, {
        method: 'POST',
        body,
        headers: { 'x-api-key': TEST_KEY, ...headers },
      });
      return {
        status: response.status,
        back: Buffer.from(await response.arrayBuffer()),
        received: sagemaker.received.at(-1)?.body ?? Buffer.alloc(0),
      };
    } finally {
      await gateway.close();
    }
  }

  const jpeg = loadImage('small.jpg');

  it('a listed binary type (image/jpeg) reaches SageMaker byte for byte', async () => {
    const { received } = await send(template(), jpeg, { 'Content-Type': 'image/jpeg' });
    expect(received.equals(jpeg)).toBe(true);
  });

  it('an unlisted binary type (application/octet-stream) is read as UTF-8 text and corrupted, as deployed', async () => {
    const { received } = await send(template(), jpeg, {
      'Content-Type': 'application/octet-stream',
    });
    expect(received.equals(jpeg)).toBe(false);
    expect(received.includes(REPLACEMENT)).toBe(true);
    // Exactly what decoding the upload as UTF-8 and encoding it again gives.
    expect(received.equals(Buffer.from(jpeg.toString('utf8'), 'utf8'))).toBe(true);
  });

  it('once listed in binaryMediaTypes, the same bytes pass intact', async () => {
    const t = template();
    const [api] = idsOf(t, 'AWS::ApiGateway::RestApi');
    const props = t.Resources[api as string]?.Properties as { BinaryMediaTypes: string[] };
    props.BinaryMediaTypes = [...props.BinaryMediaTypes, 'application~1octet-stream'];
    const { received } = await send(t, jpeg, { 'Content-Type': 'application/octet-stream' });
    expect(received.equals(jpeg)).toBe(true);
  });

  it('CONVERT_TO_TEXT on the integration sends a binary body base64-encoded', async () => {
    const t = template();
    for (const id of idsOf(t, 'AWS::ApiGateway::Method')) {
      const integration = t.Resources[id]?.Properties.Integration as Record<string, unknown>;
      if (integration.Type === 'AWS') integration.ContentHandling = 'CONVERT_TO_TEXT';
    }
    const { received } = await send(t, jpeg, { 'Content-Type': 'image/jpeg' });
    expect(received.toString('latin1')).toBe(jpeg.toString('base64'));
  });

  it('a binary answer comes back as bytes only to a binary first Accept type, else base64-encoded', async () => {
    const asBinary = await send(template(), jpeg, {
      'Content-Type': 'image/jpeg',
      Accept: 'image/jpeg',
    });
    expect(asBinary.back.equals(jpeg)).toBe(true);
    const asText = await send(template(), jpeg, { 'Content-Type': 'image/jpeg', Accept: '*/*' });
    expect(asText.back.toString('latin1')).toBe(jpeg.toString('base64'));
  });
});

describe('CORS preflight with several allowed origins', () => {
  const origins = ['https://a.example', 'https://b.example'];

  it.each([
    { origin: 'https://a.example', allowed: 'https://a.example' },
    { origin: 'https://b.example', allowed: 'https://b.example' },
    { origin: 'https://evil.example', allowed: 'https://a.example' },
  ])(
    "answers $origin's preflight with Access-Control-Allow-Origin $allowed",
    async ({ origin, allowed }) => {
      const gateway = await startGateway(template({ corsOrigins: origins.join(',') }));
      try {
        const response = await fetch(`${gateway.url}/dev/predict`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
        });
        expect(response.status).toBe(204);
        expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
        expect(response.headers.get('vary')).toBe('Origin');
      } finally {
        await gateway.close();
      }
    },
  );
});

describe('what API Gateway adds to requests and responses', () => {
  it('x-amzn-RequestId, x-amz-apigw-id and X-Amzn-Trace-Id on every response; the exception name in x-amzn-ErrorType', async () => {
    const gateway = await startGateway(template());
    try {
      const cases: Array<{
        path: string;
        headers: Record<string, string>;
        errorType: string | null;
      }> = [
        { path: '/dev/predict', headers: {}, errorType: 'ForbiddenException' },
        { path: '/dev/nothing', headers: {}, errorType: 'MissingAuthenticationTokenException' },
        { path: '/dev/predict', headers: { 'x-api-key': TEST_KEY }, errorType: null },
      ];
      for (const { path, headers, errorType } of cases) {
        const response = await fetch(`${gateway.url}${path}`, {
          method: 'POST',
          body: '{}',
          headers: { 'Content-Type': 'application/json', ...headers },
        });
        await response.arrayBuffer();
        expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
        expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9_-]{15}=$/);
        expect(response.headers.get('x-amzn-trace-id')).toMatch(
          /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/,
        );
      }
    } finally {
      await gateway.close();
    }
  });

  it('the v1 event carries requestTime, domainName, domainPrefix, extendedRequestId and the forwarded headers', async () => {
    const gateway = await startGateway(template());
    try {
      const response = await fetch(`${gateway.url}/dev/predict`, {
        method: 'POST',
        body: '{}',
        headers: { 'x-api-key': TEST_KEY, 'Content-Type': 'application/json' },
      });
      expect(response.status).toBe(200);
      const [event] = gateway.events;
      expect(event?.requestContext).toMatchObject({
        domainName: '127.0.0.1',
        domainPrefix: '127',
        extendedRequestId: response.headers.get('x-amz-apigw-id'),
        requestId: response.headers.get('x-amzn-requestid'),
      });
      expect(event?.requestContext.requestTime).toMatch(
        /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
      );
      expect(event?.headers).toMatchObject({
        host: gateway.url.slice('http://'.length),
        'X-Amzn-Trace-Id': response.headers.get('x-amzn-trace-id'),
        'X-Forwarded-For': '127.0.0.1',
        'X-Forwarded-Port': '443',
        'X-Forwarded-Proto': 'https',
      });
    } finally {
      await gateway.close();
    }
  });
});
