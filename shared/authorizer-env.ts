/**
 * The JWT authorizer's environment variable names and defaults: the one list
 * the authorizer's config loader, the CDK construct that sets them and the
 * local gateway share.
 */
export const AUTHORIZER_ENV = {
  /** The `iss` a token must carry, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  issuer: 'JWT_ISSUER',
  /** Comma-separated: a token's `aud` must name one of them. */
  audience: 'JWT_AUDIENCE',
  /** Where the issuer publishes its signing keys (a JWK Set, RFC 7517). */
  jwksUrl: 'JWT_JWKS_URL',
} as const;

/**
 * The JWKS address most issuers publish under their issuer URL (Cognito user
 * pools, Auth0; OpenID Connect Discovery `jwks_uri` names others, e.g. Okta's
 * `/v1/keys` or Entra ID's `/discovery/v2.0/keys`).
 */
export function defaultJwksUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
}

/** The path the local gateway serves its development issuer's JWKS at. */
export const LOCAL_JWKS_PATH = '/.well-known/jwks.json';

/**
 * What `Authorization` must look like for the authorizer to be called: a
 * bearer JWS in compact form (RFC 6750, RFC 7515). API Gateway answers 401
 * itself to a header that does not match (the TOKEN authorizer's identity
 * validation expression), and the authorizer checks the same shape.
 */
export const BEARER_TOKEN_PATTERN = '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
