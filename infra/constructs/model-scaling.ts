import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import type { ModelAutoScaling } from './model-endpoint-props.ts';

/**
 * Application Auto Scaling of a real-time endpoint's variant: a scalable
 * target on `sagemaker:variant:DesiredInstanceCount` (resource id
 * `endpoint/<name>/variant/<variant>`) and a target-tracking policy on the
 * predefined metric SageMakerVariantInvocationsPerInstance (invocations per
 * instance per minute). Source: Amazon SageMaker developer guide,
 * "Automatic scaling of Amazon SageMaker AI models" and "Define a scaling
 * policy". Construct ids: `ScalableTarget`, `ScalableTarget/InvocationsPerInstance`.
 *
 * Scale-in waits 300 s and scale-out 60 s: adding an instance takes minutes,
 * so quick scale-out matters; removing one too early would send its load
 * back to a fleet that just scaled out.
 */
export function addVariantAutoScaling(
  scope: Construct,
  endpoint: sagemaker.CfnEndpoint,
  variantName: string,
  scaling: ModelAutoScaling,
): appscaling.ScalableTarget {
  const target = new appscaling.ScalableTarget(scope, 'ScalableTarget', {
    serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
    resourceId: `endpoint/${endpoint.attrEndpointName}/variant/${variantName}`,
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    minCapacity: scaling.minInstances,
    maxCapacity: scaling.maxInstances,
  });
  target.scaleToTrackMetric('InvocationsPerInstance', {
    predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
    targetValue: scaling.targetInvocationsPerInstance,
    scaleInCooldown: Duration.seconds(300),
    scaleOutCooldown: Duration.seconds(60),
  });
  return target;
}
