import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ImageInferenceApi } from './constructs/image-inference-api.ts';
import { ModelEndpoint, VARIANT_NAME } from './constructs/model-endpoint.ts';
import { Operations } from './constructs/operations.ts';
import type { AppSettings } from './settings.ts';

export interface ImageInferenceStackProps extends StackProps {
  readonly settings: AppSettings;
}

/** `dev` -> `Dev`, `blue-green_2` -> `BlueGreen2`: output ids that read well as logical ids. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The whole gateway: the model endpoint (existing or deployed here) and the
 * API in front of it. Construct ids are a contract (the local gateway reads
 * this stack's template; renaming one replaces resources): `Model`, `Api`,
 * `Operations` (alarms, their topic, the dashboard).
 */
export class ImageInferenceStack extends Stack {
  readonly model: ModelEndpoint;
  readonly api: ImageInferenceApi;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: ImageInferenceStackProps) {
    super(scope, id, {
      description:
        'image-inference-gateway: API Gateway REST + Lambda in front of a SageMaker endpoint.',
      // Keeps the template to this app's resources (no AWS::CDK::Metadata).
      analyticsReporting: false,
      ...props,
    });
    const { settings } = props;
    this.model = new ModelEndpoint(this, 'Model', {
      endpointName: settings.endpointName,
      ...settings.model,
    });
    this.api = new ImageInferenceApi(this, 'Api', {
      endpointName: this.model.endpointName,
      stages: settings.stages,
      corsOrigins: settings.corsOrigins,
      architecture: settings.architecture,
      cloudWatchRole: settings.apiGatewayAccountRole === 'create',
      modelInputProfile: settings.modelInputProfile,
      authorizer: settings.authorizer,
      functionEnvironment: settings.functionEnvironment,
    });
    if (this.model.endpoint !== undefined) {
      // Stages go live only once the endpoint they name exists.
      this.api.restApi.node.addDependency(this.model.endpoint);
    }

    const stages = [...this.api.stages.values()];
    this.operations = new Operations(this, 'Operations', {
      stages: new Map(
        stages.map(({ settings: stage, stage: resource }) => [stage.stageName, resource]),
      ),
      predictFunction: this.api.predictFunction,
      endpointNames: [...new Set(stages.map(({ settings: stage }) => stage.endpointName))],
      variantName: VARIANT_NAME,
      alarmEmail: settings.alarmEmail,
    });

    for (const [name, stage] of this.api.stages) {
      const prefix = pascalCase(name);
      new CfnOutput(this, `${prefix}Url`, {
        description: `Base URL of stage ${name}: POST <url>predict or <url>invocations.`,
        value: stage.stage.urlForPath('/'),
      });
      stage.apiKeys.forEach((key, index) => {
        new CfnOutput(this, `${prefix}ApiKey${index + 1}Command`, {
          description: `Prints API key ${index + 1} of stage ${name} (its value is not in the template).`,
          value: Fn.join('', [
            'aws apigateway get-api-key --include-value --query value --output text --api-key ',
            key.keyId,
          ]),
        });
      });
    }
  }
}
