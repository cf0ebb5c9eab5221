import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { EXPOSED_HEADERS } from '#shared/contract.ts';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, corsResponseHeaders } from './cors.ts';
import {
  INVOCATIONS_PATH,
  PASSTHROUGH_REQUEST_PARAMETERS,
  passthroughIntegrationResponses,
  passthroughMethodResponses,
  SAGEMAKER_RUNTIME_SERVICE,
  sageMakerErrorSpecs,
} from './passthrough.ts';

/**
 * The API's two routes, each `POST` (API key and Content-Type required) and
 * `OPTIONS` (the CORS preflight): `/predict` to the Lambda, `/invocations`
 * straight to SageMaker Runtime (passthrough.ts).
 */

/** The two routes (first path segment after the stage). */
export const ROUTES = { predict: 'predict', invocations: 'invocations' } as const;

/** What the routes need from the rest of the API. */
export interface RoutesOptions {
  /** The `/predict` integration. */
  readonly predictFunction: lambda.IFunction;
  /** The credentials of the `/invocations` integration. */
  readonly invocationsRole: iam.IRole;
  readonly corsOrigins: readonly string[];
  /** `Retry-After` on the passthrough's 429 and 503 answers. */
  readonly retryAfterSeconds: number;
  /** Both POST methods' authorizer, besides their API keys; undefined: API keys only. */
  readonly authorizer?: apigw.IAuthorizer;
}

/** The methods the routes add that take requests (not the preflights). */
export interface RouteMethods {
  /** `POST /predict`, integrated with the predict Lambda. */
  readonly predict: apigw.Method;
  readonly invocations: apigw.Method;
}

/** Adds both routes, with the request validator (`RequireContentType`) they share. */
export function addRoutes(restApi: apigw.RestApi, options: RoutesOptions): RouteMethods {
  const validator = restApi.addRequestValidator('RequireContentType', {
    validateRequestParameters: true,
    validateRequestBody: false,
  });
  Validations.of(restApi).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason:
      'Both POST methods validate their parameters (Content-Type required). Body validation needs a JSON Schema model and these bodies are multipart or binary: the Lambda validates every part itself, and /invocations passes bodies to the model unchanged by design.',
  });
  return {
    predict: addPredictRoute(restApi, validator, options),
    invocations: addInvocationsRoute(restApi, validator, options),
  };
}

function addPredictRoute(
  restApi: apigw.RestApi,
  validator: apigw.RequestValidator,
  options: RoutesOptions,
): apigw.Method {
  const resource = restApi.root.addResource(ROUTES.predict);
  const method = resource.addMethod(
    'POST',
    new apigw.LambdaIntegration(options.predictFunction, { proxy: true, allowTestInvoke: false }),
    {
      apiKeyRequired: true,
      authorizer: options.authorizer,
      requestValidator: validator,
      requestParameters: { 'method.request.header.Content-Type': true },
    },
  );
  acknowledgeApiKeyMethod(method, options.authorizer !== undefined);
  addPreflight(resource, options.corsOrigins, options.authorizer !== undefined);
  return method;
}

function addInvocationsRoute(
  restApi: apigw.RestApi,
  validator: apigw.RequestValidator,
  options: RoutesOptions,
): apigw.Method {
  const resource = restApi.root.addResource(ROUTES.invocations);
  const integrationResponses = passthroughIntegrationResponses(
    sageMakerErrorSpecs(options.retryAfterSeconds),
    corsResponseHeaders(options.corsOrigins, 'integration-response'),
  );
  const method = resource.addMethod(
    'POST',
    new apigw.AwsIntegration({
      service: SAGEMAKER_RUNTIME_SERVICE,
      path: INVOCATIONS_PATH,
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: options.invocationsRole,
        // No templates: the body, binary or not, goes to SageMaker as sent.
        passthroughBehavior: apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
        requestParameters: { ...PASSTHROUGH_REQUEST_PARAMETERS },
        integrationResponses,
      },
    }),
    {
      apiKeyRequired: true,
      authorizer: options.authorizer,
      requestValidator: validator,
      requestParameters: {
        'method.request.header.Content-Type': true,
        'method.request.header.Accept': false,
        'method.request.header.X-Client-Id': false,
        'method.request.header.X-Request-Id': false,
      },
      methodResponses: passthroughMethodResponses(integrationResponses),
    },
  );
  acknowledgeApiKeyMethod(method, options.authorizer !== undefined);
  addPreflight(resource, options.corsOrigins, options.authorizer !== undefined);
  return method;
}

/**
 * OPTIONS for browsers. The mock integration's request template is text;
 * when a binary type like `*\/*` matches the preflight, API Gateway fails
 * it with 500 unless the integration converts to text (aws-cdk issue
 * 18297). Preflights carry no body, so converting is set whatever the list.
 */
function addPreflight(
  resource: apigw.Resource,
  corsOrigins: readonly string[],
  bearer: boolean,
): void {
  const preflight = resource.addCorsPreflight({
    allowOrigins: [...corsOrigins],
    allowMethods: ['OPTIONS', 'POST'],
    // With the JWT authorizer, pages send their token in Authorization.
    allowHeaders: [...CORS_ALLOW_HEADERS, ...(bearer ? ['authorization'] : [])],
    exposeHeaders: [...EXPOSED_HEADERS],
    maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
  });
  (preflight.node.defaultChild as apigw.CfnMethod).addPropertyOverride(
    'Integration.ContentHandling',
    apigw.ContentHandling.CONVERT_TO_TEXT,
  );
}

function acknowledgeApiKeyMethod(method: apigw.Method, jwt: boolean): void {
  if (jwt) {
    // APIG4 is met (a CUSTOM authorizer); COG4 asks for Cognito specifically.
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'A Lambda TOKEN authorizer verifies JWTs of any OpenID Connect issuer (a Cognito user pool among them) against its JWKS; a Cognito authorizer would accept Cognito only.',
    });
    return;
  }
  const reason =
    'Callers authenticate with API keys (apiKeyRequired) bound to per-stage usage plans with throttling and quotas; a public upload API for forms and curl has no end-user identity for IAM or a Cognito authorizer. -c authorizer=jwt adds a JWT authorizer.';
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
}
