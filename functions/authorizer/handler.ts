/**
 * The API's JWT authorizer: a Lambda TOKEN authorizer that verifies the
 * bearer token of `Authorization` against the issuer's JWK Set with `jose`
 * (signature, `iss`, `aud`, `exp`, `nbf`). Its answers follow API
 * Gateway's mapping (API Gateway developer guide, "Use API Gateway Lambda
 * authorizers"): throwing `Unauthorized` gives 401 (the UNAUTHORIZED
 * gateway response), a Deny policy 403 (ACCESS_DENIED), any other error 500.
 *
 * - no token, not `Bearer <jwt>`, a bad signature, an unknown key, an
 *   expired or not-yet-valid token, another issuer: Unauthorized (401), as
 *   RFC 6750 section 3.1 answers `invalid_token`;
 * - a genuine token of the issuer made out to another audience: the caller
 *   is known but this API is not theirs, so Deny (403);
 * - otherwise Allow for the stage, with the subject as `principalId`.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { BEARER_TOKEN_PATTERN } from '#shared/authorizer-env.ts';
import { type AuthorizerConfig, loadAuthorizerConfig } from './config.ts';
import { stagePolicy } from './policy.ts';

export type TokenAuthorizerHandler = (
  event: APIGatewayTokenAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/** What API Gateway maps to 401; the message must be exactly this. */
export const UNAUTHORIZED = 'Unauthorized';

const BEARER = new RegExp(BEARER_TOKEN_PATTERN);

/**
 * The handler for `config`.
 * @param keys where signing keys come from; default `createRemoteJWKSet(config.jwksUrl)`,
 * which caches the set and refetches it when a token names an unknown `kid`
 */
export function createAuthorizer(
  config: AuthorizerConfig,
  keys: JWTVerifyGetKey = createRemoteJWKSet(config.jwksUrl),
): TokenAuthorizerHandler {
  return async (event) => {
    const header = event.authorizationToken ?? '';
    if (!BEARER.test(header)) throw new Error(UNAUTHORIZED);
    const token = header.slice('Bearer '.length);
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: [...config.audience],
        requiredClaims: ['exp', 'sub'],
      });
      const subject = payload.sub as string;
      return stagePolicy(subject, 'Allow', event.methodArn, { subject });
    } catch (error) {
      if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud') {
        return stagePolicy(String(error.payload.sub ?? 'unknown'), 'Deny', event.methodArn);
      }
      // Fetching the key set failed: not the caller's fault, so not 401 (500).
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw error;
      throw new Error(UNAUTHORIZED);
    }
  };
}

let cold: TokenAuthorizerHandler | undefined;

/** The Lambda entry: the config is read and the key set created once per container. */
export const handler: TokenAuthorizerHandler = (event) => {
  cold ??= createAuthorizer(loadAuthorizerConfig(process.env));
  return cold(event);
};
