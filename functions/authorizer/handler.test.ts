import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAuthorizerConfig } from './config.ts';
import { createAuthorizer, type TokenAuthorizerHandler } from './handler.ts';

const ISSUER = 'https://issuer.example.com/';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/POST/predict';
let authorize: TokenAuthorizerHandler;
let sign: (
  claims: Record<string, unknown>,
  options?: { exp?: string; key?: 'other' },
) => Promise<string>;

beforeAll(async () => {
  const issuerKey = await generateKeyPair('ES256');
  const otherKey = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(issuerKey.publicKey)), kid: 'k1', alg: 'ES256' };
  const config = loadAuthorizerConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'api, other-api' });
  authorize = createAuthorizer(config, createLocalJWKSet({ keys: [jwk] }));
  sign = (claims, options = {}) =>
    new SignJWT({ sub: 'user-1', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(String(claims.iss ?? ISSUER))
      .setAudience(String(claims.aud ?? 'api'))
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(options.key === 'other' ? otherKey.privateKey : issuerKey.privateKey);
});

const event = (authorizationToken: string) =>
  ({ type: 'TOKEN', methodArn: METHOD_ARN, authorizationToken }) as const;

describe('the JWT authorizer', () => {
  it('allows a valid token for the whole stage, with the subject as principal', async () => {
    const result = await authorize(event(`Bearer ${await sign({})}`));
    expect(result).toEqual({
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/*',
          },
        ],
      },
      context: { subject: 'user-1' },
    });
  });

  it.each([
    { what: 'no token', token: async () => '' },
    { what: 'not a bearer token', token: async () => `Basic ${await sign({})}` },
    { what: 'a forged signature', token: async () => `Bearer ${await sign({}, { key: 'other' })}` },
    { what: 'an expired token', token: async () => `Bearer ${await sign({}, { exp: '-1m' })}` },
    { what: 'another issuer', token: async () => `Bearer ${await sign({ iss: 'https://evil/' })}` },
    { what: 'a malformed token', token: async () => 'Bearer a.b.c' },
  ])('throws Unauthorized (401) for $what', async ({ token }) => {
    await expect(authorize(event(await token()))).rejects.toThrow(/^Unauthorized$/);
  });

  it('denies (403) a genuine token made out to another audience', async () => {
    const result = await authorize(event(`Bearer ${await sign({ aud: 'someone-else' })}`));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
  });
});

describe('the authorizer config', () => {
  it('defaults the JWKS URL under the issuer', () => {
    expect(loadAuthorizerConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'a' }).jwksUrl.href).toBe(
      'https://issuer.example.com/.well-known/jwks.json',
    );
  });

  it.each([
    [
      { JWT_AUDIENCE: 'a' },
      'Environment variable JWT_ISSUER must be an absolute http(s) URL, but received ""',
    ],
    [
      { JWT_ISSUER: ISSUER },
      'Environment variable JWT_AUDIENCE must be one audience or more, but received undefined',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadAuthorizerConfig(env)).toThrow(message);
  });
});
