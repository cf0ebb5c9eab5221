/**
 * `npm start -- -c authorizer=jwt` end to end: the template's TOKEN
 * authorizer run in-process (the deployed code, fetching the development
 * issuer's JWKS from the local gateway), in front of API keys that keep
 * working, with API Gateway's answers: 401 UNAUTHORIZED and 403
 * ACCESS_DENIED as problem+json with CORS.
 */
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';
import { stagePolicy } from '../functions/authorizer/policy.ts';
import { contractViolation } from '../testing/openapi-contract.ts';
import { createGateway } from './gateway.ts';
import type { DevelopmentIssuer } from './local-auth.ts';
import { type LocalStack, startLocalStack } from './stack.ts';
import { localApiModel } from './template.ts';

const KEY = 'local-authorizer-test-key-0001';
let stack: LocalStack;
let dev: DevelopmentIssuer;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    modelPort: 0,
    apiKey: KEY,
    context: { authorizer: 'jwt' },
  });
  dev = stack.developmentIssuer as DevelopmentIssuer;
}, 90_000);
afterAll(() => stack?.stop());

function form(): FormData {
  const body = new FormData();
  body.append('image', new Blob([loadImage('orientation-1.jpg')], { type: 'image/jpeg' }), 'a.jpg');
  return body;
}

async function predict(authorization: string | undefined, apiKey: string | undefined = KEY) {
  const headers: Record<string, string> = { Origin: 'https://example.com' };
  if (apiKey !== undefined) headers['x-api-key'] = apiKey;
  if (authorization !== undefined) headers.Authorization = authorization;
  const response = await fetch(`${stack.url}/dev/predict`, {
    method: 'POST',
    body: form(),
    headers,
  });
  const text = await response.text();
  // Every answer, the authorizer's 401 and 403 included, is one the OpenAPI document describes.
  const contentType = response.headers.get('content-type') ?? undefined;
  expect(contractViolation('predict', { status: response.status, contentType, body: text })).toBe(
    undefined,
  );
  return { response, body: JSON.parse(text) as Record<string, unknown> };
}

/** A token like the issuer's, but signed with another key under the same key id. */
async function forged(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'local-development', typ: 'JWT' })
    .setIssuer(dev.issuer.issuer)
    .setSubject('mallory')
    .setAudience(dev.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

function expectProblem(
  result: { response: Response; body: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(result.response.status).toBe(status);
  expect(result.response.headers.get('content-type')).toBe('application/problem+json');
  expect(result.response.headers.get('access-control-allow-origin')).toBe('*');
  expect(result.body).toMatchObject({ status, code });
}

describe('npm start -- -c authorizer=jwt', () => {
  it('serves the development issuer JWKS (public key only) and signs a development token', async () => {
    expect(dev.issuer.issuer).toBe(stack.url);
    expect(dev.audience).toBe('image-inference-gateway');
    const response = await fetch(`${stack.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: 'local-development' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(dev.token.split('.')).toHaveLength(3);
  });

  it('answers a valid token and API key with the predictions', async () => {
    const { response, body } = await predict(`Bearer ${dev.token}`);
    expect(response.status).toBe(200);
    expect(body.results).toHaveLength(1);
  }, 30_000);

  it.each([
    ['no Authorization header', undefined],
    ['a header that is not Bearer <jwt>', 'Basic dXNlcjpwYXNz'],
  ])('answers %s with 401 UNAUTHORIZED (problem+json, CORS)', async (_what, header) => {
    expectProblem(await predict(header), 401, 'UNAUTHORIZED');
  });

  it('answers a forged signature with 401 UNAUTHORIZED', async () => {
    expectProblem(await predict(`Bearer ${await forged()}`), 401, 'UNAUTHORIZED');
  });

  it('answers an expired token with 401 UNAUTHORIZED', async () => {
    const expired = await dev.issuer.sign({ audience: dev.audience, expiresIn: '-1m' });
    expectProblem(await predict(`Bearer ${expired}`), 401, 'UNAUTHORIZED');
  });

  it('answers a genuine token for another audience with 403 ACCESS_DENIED (a Deny policy)', async () => {
    const other = await dev.issuer.sign({ audience: 'another-api' });
    expectProblem(await predict(`Bearer ${other}`), 403, 'ACCESS_DENIED');
  });

  it('still requires the API key once the token is accepted', async () => {
    expectProblem(
      await predict(`Bearer ${dev.token}`, 'wrong-key-000000000000000'),
      403,
      'INVALID_API_KEY',
    );
  });

  it('guards /invocations too, and leaves the CORS preflight open', async () => {
    const invocations = await fetch(`${stack.url}/dev/invocations`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'Content-Type': 'image/jpeg' },
      body: loadImage('orientation-1.jpg'),
    });
    expect(invocations.status).toBe(401);
    const preflight = await fetch(`${stack.url}/dev/predict`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });
});

describe('the emulator with the template authorizer (in-process, no model)', () => {
  const model = localApiModel({
    authorizer: 'jwt',
    jwtIssuer: 'https://issuer.example.com',
    authorizerCacheTtlSeconds: '60',
  });

  it('reads the TOKEN authorizer of both POST methods from the template', () => {
    const guarded = model.routes.filter((route) => route.authorizer !== undefined);
    expect(guarded.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'POST /invocations',
      'POST /predict',
    ]);
    expect(guarded[0]?.authorizer).toMatchObject({
      identityHeader: 'authorization',
      ttlSeconds: 60,
    });
  });

  it('caches a token policy for the template TTL and gives the Lambda its principal', async () => {
    let now = 1_000_000;
    const authorizerCalls: string[] = [];
    const events: APIGatewayProxyEvent[] = [];
    const server = createGateway({
      model,
      apiKey: KEY,
      sagemakerUrl: 'http://127.0.0.1:9',
      clock: () => now,
      handlerFor: () => async (event) => {
        events.push(event);
        return { statusCode: 200, body: '{}', headers: { 'Content-Type': 'application/json' } };
      },
      authorizerFor: () => async (event) => {
        authorizerCalls.push(event.authorizationToken);
        return stagePolicy('user-1', 'Allow', event.methodArn, { subject: 'user-1' });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev/predict`;
    const post = (token: string) =>
      fetch(url, {
        method: 'POST',
        body: form(),
        headers: { 'x-api-key': KEY, Authorization: `Bearer ${token}` },
      }).then((response) => response.status);
    try {
      expect(await post('a.b.c')).toBe(200);
      now += 59_999;
      expect(await post('a.b.c')).toBe(200);
      expect(authorizerCalls).toEqual(['Bearer a.b.c']);
      expect(await post('d.e.f')).toBe(200);
      now += 1;
      expect(await post('a.b.c')).toBe(200);
      expect(authorizerCalls).toEqual(['Bearer a.b.c', 'Bearer d.e.f', 'Bearer a.b.c']);
      expect(events[0]?.requestContext.authorizer).toEqual({
        principalId: 'user-1',
        subject: 'user-1',
      });
    } finally {
      server.close();
    }
  });
});
