import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { type ImageInferenceApiProps, resolveApiProps } from './api-props.ts';
import { addGatewayResponses } from './gateway-responses.ts';
import {
  createInvocationsRole,
  endpointArns,
  invokeEndpointStatement,
} from './invoke-permissions.ts';
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
  ImageInferenceApiProps,
  ImageInferenceApiStage,
  ResolvedStage,
} from './api-props.ts';
export { DEFAULT_STAGE_NAMES, STAGE_DEFAULTS } from './api-props.ts';
export { ROUTES } from './routes.ts';
export type { ImageInferenceStageResources } from './stages.ts';

/**
 * The public image API: a Regional REST API with `POST /{stage}/predict`
 * (the predict Lambda) and `POST /{stage}/invocations` (straight to
 * SageMaker Runtime), API keys and usage plans per stage, and every error
 * API Gateway makes restyled as the project's problem+json with CORS.
 *
 * Construct ids are a contract (renaming one replaces resources, and the
 * local gateway reads the template): `PredictFunction`,
 * `PredictFunctionLogs`, `InvocationsRole`, `Stages/<name>/...`, `RestApi`.
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
      // The account-wide CloudWatch role is not this app's to own.
      cloudWatchRole: false,
      deploy: true,
      deployOptions: stageOptions(
        first,
        (stageScopes.get(first.stageName) as StageScope).accessLogs,
      ),
    });
    // RestApi's own output names the first stage only; the stack outputs every stage's URL.
    this.restApi.node.tryRemoveChild('Endpoint');

    addRoutes(this.restApi, {
      predictFunction: this.predictFunction,
      invocationsRole: this.invocationsRole,
      corsOrigins: resolved.corsOrigins,
      retryAfterSeconds: this.retryAfterSeconds,
    });
    addGatewayResponses(this.restApi, resolved.corsOrigins);
    this.stages = addStages(this.restApi, resolved.stages, stageScopes);
  }
}
