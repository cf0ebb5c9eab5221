import { Validations } from 'aws-cdk-lib';
import type * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { endpointArn, s3ObjectArn, sageMakerLogGroupArn } from './arns.ts';
import {
  checkDeploymentProps,
  checkEndpointProps,
  MODEL_ENDPOINT_DEFAULTS,
  type ModelEndpointMode,
  type ModelEndpointProps,
  parseS3Url,
} from './model-endpoint-props.ts';
import { modelImage } from './model-image.ts';
import { addVariantAutoScaling } from './model-scaling.ts';

export type { ModelEndpointMode, ModelEndpointProps } from './model-endpoint-props.ts';
export {
  MODEL_ENDPOINT_DEFAULTS,
  MODEL_ENDPOINT_MODES,
  SERVERLESS_MEMORY_SIZES_MB,
} from './model-endpoint-props.ts';

/** The one production variant a deployed endpoint has. */
export const VARIANT_NAME = 'AllTraffic';

/**
 * A SageMaker endpoint the API invokes: either an existing one, referenced
 * by name, or a model deployed here (CfnModel -> CfnEndpointConfig ->
 * CfnEndpoint) with an execution role that can pull its image, read its
 * artefact and write its logs, and nothing else.
 */
export class ModelEndpoint extends Construct {
  readonly endpointName: string;
  /** The ARN IAM matches (lower case, as SageMaker stores it). */
  readonly endpointArn: string;
  /** True when this construct creates the endpoint. */
  readonly deployed: boolean;
  readonly mode: ModelEndpointMode | undefined;
  readonly executionRole?: iam.Role;
  readonly imageAsset?: DockerImageAsset;
  readonly model?: sagemaker.CfnModel;
  readonly endpointConfig?: sagemaker.CfnEndpointConfig;
  readonly endpoint?: sagemaker.CfnEndpoint;
  /** Real-time: the variant's Application Auto Scaling target. */
  readonly scalableTarget?: appscaling.ScalableTarget;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    this.deployed = checkEndpointProps(this, props);
    this.endpointName = props.endpointName;
    this.endpointArn = endpointArn(this, props.endpointName);
    if (!this.deployed) {
      this.mode = undefined;
      return;
    }

    const mode = props.mode ?? MODEL_ENDPOINT_DEFAULTS.mode;
    this.mode = mode;
    checkDeploymentProps(this, props, mode);
    const networkIsolation = props.networkIsolation ?? mode === 'realtime';

    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of endpoint ${props.endpointName}: image pull, model artefact, logs.`,
    });
    this.executionRole = role;

    const { imageUri: image, asset } = modelImage(this, role, props);
    this.imageAsset = asset;
    if (props.modelDataUrl !== undefined) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [s3ObjectArn(this, ...parseS3Url(props.modelDataUrl))],
        }),
      );
    }
    const logGroupArn = sageMakerLogGroupArn(this, props.endpointName);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams'],
        resources: [logGroupArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [`${logGroupArn}:log-stream:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    this.acknowledgeRole(role, props.endpointName);

    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: role.roleArn,
      enableNetworkIsolation: networkIsolation,
      primaryContainer: {
        image,
        modelDataUrl: props.modelDataUrl,
        environment:
          props.containerEnvironment === undefined ? undefined : { ...props.containerEnvironment },
      },
    });
    // SageMaker checks the role when the model is created: its policy first.
    this.model.node.addDependency(role);

    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty =
      mode === 'realtime'
        ? {
            variantName: VARIANT_NAME,
            modelName: this.model.attrModelName,
            initialVariantWeight: 1,
            instanceType: props.instanceType ?? MODEL_ENDPOINT_DEFAULTS.instanceType,
            initialInstanceCount: props.instanceCount ?? MODEL_ENDPOINT_DEFAULTS.instanceCount,
          }
        : {
            variantName: VARIANT_NAME,
            modelName: this.model.attrModelName,
            serverlessConfig: {
              memorySizeInMb:
                props.serverlessMemorySizeMb ?? MODEL_ENDPOINT_DEFAULTS.serverlessMemorySizeMb,
              maxConcurrency:
                props.serverlessMaxConcurrency ?? MODEL_ENDPOINT_DEFAULTS.serverlessMaxConcurrency,
            },
          };
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [variant],
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });
    if (mode === 'realtime') {
      this.scalableTarget = addVariantAutoScaling(
        this,
        this.endpoint,
        VARIANT_NAME,
        props.autoScaling ?? MODEL_ENDPOINT_DEFAULTS.autoScaling,
      );
    }
  }

  /** The wildcards left in the execution role, each one AWS's own constraint. */
  private acknowledgeRole(role: iam.Role, endpointName: string): void {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions; PutMetricData is limited to /aws/sagemaker/* namespaces by condition.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/${endpointName}:log-stream:*]`,
      reason:
        'SageMaker names the log streams of its endpoint log group after instances that do not exist yet; the wildcard covers streams of this one endpoint only.',
    });
  }
}
