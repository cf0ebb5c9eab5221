import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { type ImageInferenceApiProps as ApiProps, resolveApiProps } from './api-props.ts';
import { addGatewayResponses } from './gateway-responses.ts';
import {
  createInvocationsRole,
  endpointArns,
  invokeEndpointStatement,
} from './invoke-permissions.ts';
import { createJwtAuthorizer, type JwtAuthorizerProps } from './jwt-authorizer.ts';
import { allowEveryStageToInvoke } from './lambda-permissions.ts';
import { createPredictFunction } from './predict-function.ts';
import { addRoutes } from './routes.ts';
import {
  addStages,
  createStageScopes,
  type ImageInferenceStageResources,
  type StageScope,
  stageOptions,
} from './stages.ts';

export type {
  ImageInferenceApiStage,
  ResolvedStage,
} from './api-props.ts';
export { DEFAULT_STAGE_NAMES, STAGE_DEFAULTS } from './api-props.ts';
export type { JwtAuthorizerProps } from './jwt-authorizer.ts';
export { ROUTES } from './routes.ts';
export type { ImageInferenceStageResources } from './stages.ts';

/** ImageInferenceApi's props (api-props.ts), and the authorizer. */
export interface ImageInferenceApiProps extends ApiProps {
  /**
   * A JWT authorizer on both POST methods, besides their API keys.
   * @default - API keys only
   */
  readonly authorizer?: JwtAuthorizerProps;
}

/**
 * The public image API: a Regional REST API with `POST /{stage}/predict`
 * (the predict Lambda) and `POST /{stage}/invocations` (straight to
 * SageMaker Runtime), API keys and usage plans per stage, and every error
 * API Gateway makes restyled as the project's problem+json with CORS.
 *
 * Construct ids are a contract (renaming one replaces resources, and the
 * local gateway reads the template): `PredictFunction`,
 * `PredictFunctionLogs`, `InvocationsRole`, `Stages/<name>/...` (with
 * `ApiPermission.POST.predict` on every stage but the first, whose
 * permission CDK's integration adds), `RestApi` (with `CloudWatchRole` and
 * `Account` unless `cloudWatchRole` is false), and with `authorizer`
 * `AuthorizerFunction`, `AuthorizerFunctionLogs`, `JwtAuthorizer`.
 */
export class ImageInferenceApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly predictFunction: NodejsFunction;
  /** The role API Gateway assumes to call InvokeEndpoint on `/invocations`. */
  readonly invocationsRole: iam.Role;
  /** Stage name -> its resources, in props order. */
  readonly stages: ReadonlyMap<string, ImageInferenceStageResources>;
  /** The ARNs of the stages' endpoints: all either principal may invoke. */
  readonly endpointArns: readonly string[];
  /** `Retry-After` on 503s: the Lambda's setting, so both routes say the same. */
  readonly retryAfterSeconds: number;
  /** The JWT authorizer, when `authorizer` is set. */
  readonly authorizer?: apigw.TokenAuthorizer;

  constructor(scope: Construct, id: string, props: ImageInferenceApiProps) {
    super(scope, id);
    const resolved = resolveApiProps(this, props);
    this.retryAfterSeconds = resolved.retryAfterSeconds;

    this.endpointArns = endpointArns(
      this,
      resolved.stages.map((stage) => stage.endpointName),
    );
    const invoke = invokeEndpointStatement(this.endpointArns);
    this.predictFunction = createPredictFunction(this, resolved);
    this.predictFunction.addToRolePolicy(invoke);
    this.invocationsRole = createInvocationsRole(this, invoke);

    const [first] = resolved.stages;
    const stageScopes = createStageScopes(this, resolved.stages, resolved.logRetention);
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: resolved.restApiName ?? Stack.of(this).stackName,
      description: 'Multipart image uploads to a SageMaker endpoint (image-inference-gateway).',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      binaryMediaTypes: [...resolved.binaryMediaTypes],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      ...accountCloudWatchRole(resolved.cloudWatchRole),
      deploy: true,
      deployOptions: stageOptions(
        first,
        (stageScopes.get(first.stageName) as StageScope).accessLogs,
      ),
    });
    // RestApi's own output names the first stage only; the stack outputs every stage's URL.
    this.restApi.node.tryRemoveChild('Endpoint');

    if (props.authorizer !== undefined) {
      this.authorizer = createJwtAuthorizer(this, props.authorizer, resolved);
    }
    const methods = addRoutes(this.restApi, {
      authorizer: this.authorizer,
      predictFunction: this.predictFunction,
      invocationsRole: this.invocationsRole,
      corsOrigins: resolved.corsOrigins,
      retryAfterSeconds: this.retryAfterSeconds,
    });
    addGatewayResponses(this.restApi, resolved.corsOrigins);
    this.stages = addStages(this.restApi, resolved.stages, stageScopes);
    allowEveryStageToInvoke(
      this.predictFunction,
      methods.predict,
      [...this.stages.values()].map(({ settings, stage }) => ({
        scope: (stageScopes.get(settings.stageName) as StageScope).scope,
        stage,
      })),
    );
    if (resolved.cloudWatchRole) acknowledgeCloudWatchRole(this.restApi);
  }
}

/**
 * The RestApi's CloudWatch role options. Creating a stage with access logs
 * fails ("CloudWatch Logs role ARN must be set in account settings to
 * enable logging") until the account names a role API Gateway may assume
 * (API Gateway developer guide, "Set up CloudWatch logging for REST APIs
 * in API Gateway"). With `create`, the RestApi adds that role (managed
 * policy AmazonAPIGatewayPushToCloudWatchLogs) and `AWS::ApiGateway::Account`,
 * and CDK makes every stage depend on the Account. Both are retained: the
 * setting is one per account and region, survives the stack ("When you
 * delete a stack containing this resource, API Gateway can still assume the
 * provided IAM role": AWS CloudFormation, AWS::ApiGateway::Account), and
 * other APIs in the account log through it.
 */
function accountCloudWatchRole(
  create: boolean,
): Pick<apigw.RestApiProps, 'cloudWatchRole' | 'cloudWatchRoleRemovalPolicy'> {
  return create
    ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }
    : { cloudWatchRole: false };
}

function acknowledgeCloudWatchRole(restApi: apigw.RestApi): void {
  Validations.of(restApi.node.findChild('CloudWatchRole')).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account's API Gateway logging role (set-up-logging); the role can be assumed by API Gateway only, and it is account-wide by design, so it cannot name this API's log groups.",
  });
}
