import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AUTHORIZER_ENV, BEARER_TOKEN_PATTERN } from '#shared/authorizer-env.ts';
import { acknowledgeNodeFunction, LOCKFILE, NODE_BUNDLING, PROJECT_ROOT } from './node-function.ts';
import { checkInteger, checkPattern } from './validate.ts';

const AUTHORIZER_ENTRY = fileURLToPath(
  new URL('../../functions/authorizer/handler.ts', import.meta.url),
);

/** A JWT authorizer in front of the API's methods (`-c authorizer=jwt`). */
export interface JwtAuthorizerProps {
  /** The `iss` tokens must carry, e.g. a Cognito user pool's `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuer: string;
  /** A token's `aud` must name one of these. */
  readonly audience: readonly string[];
  /**
   * The issuer's JWK Set.
   * @default - `<issuer>/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
  /**
   * How long API Gateway caches a token's policy (0 to 3600 s).
   * @default 300
   */
  readonly cacheTtlSeconds?: number;
}

/** The authorizer's defaults (the `@default` tags above). */
export const JWT_AUTHORIZER_DEFAULTS = { cacheTtlSeconds: 300 } as const;

const URL_PATTERN = /^https?:\/\/\S+$/;

/**
 * The Lambda TOKEN authorizer (`functions/authorizer/handler.ts`) under
 * `scope`: constructs `AuthorizerFunction`, `AuthorizerFunctionLogs` and
 * `JwtAuthorizer`. API Gateway reads the token from `Authorization`, answers
 * 401 itself when it is missing or not `Bearer <jwt>`, and caches each
 * token's policy for `cacheTtlSeconds` (API Gateway developer guide, "Use
 * API Gateway Lambda authorizers").
 */
export function createJwtAuthorizer(
  scope: Construct,
  props: JwtAuthorizerProps,
  options: {
    readonly architecture: lambda.Architecture;
    readonly logRetention: logs.RetentionDays;
  },
): apigw.TokenAuthorizer {
  checkPattern(scope, 'authorizer.issuer', props.issuer, URL_PATTERN, 'an http(s) URL');
  if (props.jwksUrl !== undefined) {
    checkPattern(scope, 'authorizer.jwksUrl', props.jwksUrl, URL_PATTERN, 'an http(s) URL');
  }
  const ttl = props.cacheTtlSeconds ?? JWT_AUTHORIZER_DEFAULTS.cacheTtlSeconds;
  checkInteger(scope, 'authorizer.cacheTtlSeconds', ttl, 0, 3600);
  const fn = new NodejsFunction(scope, 'AuthorizerFunction', {
    description: 'JWT authorizer: verifies bearer tokens against the issuer JWKS (jose).',
    entry: AUTHORIZER_ENTRY,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: LOCKFILE,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: options.architecture,
    memorySize: 256,
    timeout: Duration.seconds(10),
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      [AUTHORIZER_ENV.issuer]: props.issuer,
      [AUTHORIZER_ENV.audience]: props.audience.join(','),
      ...(props.jwksUrl === undefined ? {} : { [AUTHORIZER_ENV.jwksUrl]: props.jwksUrl }),
    },
    logGroup: new logs.LogGroup(scope, 'AuthorizerFunctionLogs', {
      retention: options.logRetention,
    }),
    bundling: NODE_BUNDLING,
  });
  acknowledgeNodeFunction(fn);
  return new apigw.TokenAuthorizer(scope, 'JwtAuthorizer', {
    handler: fn,
    identitySource: apigw.IdentitySource.header('Authorization'),
    validationRegex: BEARER_TOKEN_PATTERN,
    resultsCacheTtl: Duration.seconds(ttl),
  });
}
