import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The ARN IAM matches for a SageMaker endpoint. SageMaker stores endpoint
 * ARNs in lower case whatever the name's case, so a policy naming
 * `MyEndpoint` as written would never match.
 */
export function endpointArn(scope: IConstruct, endpointName: string): string {
  return Stack.of(scope).formatArn({
    service: 'sagemaker',
    resource: 'endpoint',
    resourceName: Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase(),
  });
}

/** The log group SageMaker writes an endpoint's container logs to. */
export function sageMakerLogGroupArn(scope: IConstruct, endpointName: string): string {
  return Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: `/aws/sagemaker/Endpoints/${endpointName}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** An ECR repository in another account or region (an image URI names both). */
export function ecrRepositoryArn(
  scope: IConstruct,
  account: string,
  region: string,
  repository: string,
): string {
  return Stack.of(scope).formatArn({
    service: 'ecr',
    account,
    region,
    resource: 'repository',
    resourceName: repository,
  });
}

/** An S3 object (S3 ARNs carry no region or account). */
export function s3ObjectArn(scope: IConstruct, bucket: string, key: string): string {
  return Stack.of(scope).formatArn({
    service: 's3',
    region: '',
    account: '',
    resource: bucket,
    resourceName: key,
  });
}
