import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_GATEWAY_MAX_REQUEST_BYTES } from '#shared/aws-facts.ts';
import { ERROR_CATALOGUE } from '#shared/errors.ts';
import { contractViolation } from '../testing/openapi-contract.ts';
import { readApiModel } from './emulation/api-model.ts';
import { GATEWAY_RESPONSE_DEFAULTS, gatewayReply } from './emulation/gateway-responses.ts';
import type { MappingContext } from './emulation/mapping.ts';
import type { GatewayResponseType } from './emulation/reply.ts';
import { type RunningGateway, startGateway, TEST_KEY, template } from './test/harness.ts';

const model = readApiModel(template());
let gateway: RunningGateway;

beforeAll(async () => {
  gateway = await startGateway(model);
});
afterAll(() => gateway.close());

describe('GET /openapi.json and /docs (no API key)', () => {
  it('serves the OpenAPI 3.1 document: both routes, the stages, this gateway as server', async () => {
    const response = await fetch(`${gateway.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const document = (await response.json()) as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<
        string,
        { post: { parameters: Array<{ name: string; schema: { enum?: string[] } }> } }
      >;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers.map((server) => server.url)).toEqual([gateway.url]);
    expect(Object.keys(document.paths)).toEqual(['/{stage}/predict', '/{stage}/invocations']);
    const stage = document.paths['/{stage}/predict']?.post.parameters.find(
      (p) => p.name === 'stage',
    );
    expect(stage?.schema.enum).toEqual(model.stages.map((s) => s.name));
    expect(document.components.securitySchemes).toEqual({
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'x-api-key',
        description: "An API key of the stage's usage plan (API Gateway).",
      },
    });
  });

  it('serves the reference page and its Swagger UI assets from node_modules', async () => {
    const page = await fetch(`${gateway.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    const init = await (await fetch(`${gateway.url}/docs/init.js`)).text();
    expect(init).toContain('url: "/openapi.json"');
    const bundle = await fetch(`${gateway.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const css = await fetch(`${gateway.url}/docs/swagger-ui.css`);
    expect(css.status).toBe(200);
  });

  it('serves nothing else of swagger-ui-dist: other paths are API Gateway routes', async () => {
    const other = await fetch(`${gateway.url}/docs/package.json`);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { code: string }).code).toBe('MISSING_AUTHENTICATION_TOKEN');
  });
});

const mapping: MappingContext = {
  requestId: 'r-1',
  stage: 'dev',
  resourcePath: '/predict',
  httpMethod: 'POST',
  sourceIp: '127.0.0.1',
  apiKeyId: 'key-1',
  errorMessage: '',
  errorResponseType: '',
};

describe('the contract: API Gateway answers match the document', () => {
  const types = Object.keys(GATEWAY_RESPONSE_DEFAULTS) as GatewayResponseType[];
  it.each(types)('%s, as the stack restyles it, on both routes', (type) => {
    const reply = gatewayReply(model.gatewayResponses, { fault: type }, mapping, () => undefined);
    const contentType = reply.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1];
    const response = { status: reply.status, contentType, body: reply.body.toString() };
    expect(contractViolation('predict', response)).toBeUndefined();
    expect(contractViolation('invocations', response)).toBeUndefined();
  });

  it('the answers a client gets: no key, no route, over the payload limit', async () => {
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${gateway.url}${path}`, { method: 'POST', headers, body: 'x' });
    const answers = [
      await post('/dev/predict', { 'content-type': 'multipart/form-data; boundary=b' }),
      await post('/dev/invocations', { 'content-type': 'image/jpeg', 'x-api-key': 'wrong' }),
      await post('/dev/nowhere', { 'x-api-key': TEST_KEY }),
    ];
    const codes: string[] = [];
    for (const answer of answers) {
      const body = await answer.text();
      const response = {
        status: answer.status,
        contentType: answer.headers.get('content-type') ?? undefined,
        body,
      };
      expect(contractViolation('predict', response)).toBeUndefined();
      codes.push((JSON.parse(body) as { code: string }).code);
    }
    expect(codes).toEqual(['INVALID_API_KEY', 'INVALID_API_KEY', 'MISSING_AUTHENTICATION_TOKEN']);
    expect(ERROR_CATALOGUE.INVALID_API_KEY.status).toBe(403);
    const tooLarge = {
      status: 413,
      contentType: 'text/plain',
      body: `HTTP content length exceeded ${API_GATEWAY_MAX_REQUEST_BYTES} bytes.`,
    };
    expect(contractViolation('predict', tooLarge)).toBeUndefined();
  });

  it('refuses what the document does not describe', () => {
    const problem = {
      type: 'urn:image-inference-gateway:error:NO_IMAGE',
      title: 'No image in the upload',
      status: 400,
      detail: 'd',
      code: 'NO_IMAGE',
      requestId: 'r',
    };
    const as = (status: number, body: object) => ({
      status,
      contentType: 'application/problem+json',
      body: JSON.stringify(body),
    });
    expect(contractViolation('predict', as(400, problem))).toBeUndefined();
    expect(contractViolation('invocations', as(400, problem))).toMatch(/at code/);
    expect(contractViolation('predict', as(413, problem))).toMatch(/at status/);
    expect(contractViolation('predict', as(400, { ...problem, extra: 1 }))).toMatch(/extra/);
    expect(contractViolation('predict', as(200, problem))).toMatch(
      /^predict 200 documents no application\/problem\+json content$/,
    );
    expect(contractViolation('predict', as(418, problem))).toMatch(/Unrecognized key: "status"/);
  });
});
