import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp, synthesizeTemplate } from './app.ts';
import { FEATURE_FLAGS } from './feature-flags.ts';
import { readSettings } from './settings.ts';
import { ImageInferenceStack } from './stack.ts';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:1.0';

/** Synthesises with cdk-nag on; an unacknowledged finding throws the report. */
function synthWithNag(context: Record<string, unknown>): void {
  buildApp({ context, skipBundling: true, builtinValidation: false }).app.synth();
}

describe('the app under cdk-nag (AwsSolutions)', () => {
  it.each([
    ['an existing endpoint (the default)', {}],
    [
      'a serverless model from an image URI and S3 model data',
      { model: IMAGE, modelDataUrl: 's3://models/m.tar.gz' },
    ],
    ['a real-time model', { model: IMAGE, modelMode: 'realtime', modelInstanceCount: '2' }],
    ['the model server image built from this repository', { model: 'asset' }],
    ["the account's existing API Gateway CloudWatch role", { apiGatewayAccountRole: 'existing' }],
    [
      'x86_64, three stages and two origins',
      {
        architecture: 'x86_64',
        stages: 'dev,qa,prod',
        corsOrigins: 'https://a.example,https://b.example',
      },
    ],
  ])('has no unacknowledged finding with %s', (_what, context) => {
    expect(() => synthWithNag(context)).not.toThrow();
  });

  it('has no unacknowledged finding with a model image built from a directory', () => {
    const directory = mkdtempSync(join(tmpdir(), 'model-image-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM scratch\n');
    const app = new App({
      context: { ...FEATURE_FLAGS },
      postCliContext: { [BUNDLING_STACKS]: [] },
      builtinCloudFormationValidation: false,
    });
    const settings = readSettings(() => undefined);
    new ImageInferenceStack(app, 'Gateway', {
      settings: { ...settings, model: { imageAssetDirectory: directory } },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const { app, stack } = buildApp({ skipBundling: true, builtinValidation: false });
    new iam.Role(stack, 'Careless', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    expect(() => app.synth()).toThrow(
      "Acknowledge with 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]'",
    );
  });
});

describe('buildApp', () => {
  it('names the stack from context and lets explicit context win', () => {
    const { stack, settings } = buildApp({
      context: { stackName: 'Gateway-Test', endpointName: 'other-model' },
      skipBundling: true,
      nag: false,
    });
    expect(stack.stackName).toBe('Gateway-Test');
    expect(settings.endpointName).toBe('other-model');
  });

  it('sets the feature flags in code, so an in-process synth matches the CLI', () => {
    const { app } = buildApp({ skipBundling: true, nag: false });
    for (const [flag, value] of Object.entries(FEATURE_FLAGS)) {
      expect(app.node.tryGetContext(flag)).toBe(value);
    }
  });
});

describe('synthesizeTemplate', () => {
  const template = synthesizeTemplate() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    Outputs: Record<string, { Description: string }>;
  };

  it('outputs each stage URL and how to read each stage key', () => {
    expect(Object.keys(template.Outputs)).toEqual([
      'DevUrl',
      'DevApiKey1Command',
      'ProdUrl',
      'ProdApiKey1Command',
    ]);
  });

  it('has no AWS::CDK::Metadata (analytics off), only the gateway', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::CDK::Metadata');
    expect(types.filter((t) => t.startsWith('AWS::SageMaker::'))).toEqual([]);
  });

  it('has these resources, by type', () => {
    const counts: Record<string, number> = {};
    for (const { Type } of Object.values(template.Resources))
      counts[Type] = (counts[Type] ?? 0) + 1;
    expect(counts).toEqual({
      'AWS::ApiGateway::Account': 1,
      'AWS::ApiGateway::ApiKey': 2,
      'AWS::ApiGateway::Deployment': 1,
      'AWS::ApiGateway::GatewayResponse': 21,
      'AWS::ApiGateway::Method': 4,
      'AWS::ApiGateway::RequestValidator': 1,
      'AWS::ApiGateway::Resource': 2,
      'AWS::ApiGateway::RestApi': 1,
      'AWS::ApiGateway::Stage': 2,
      'AWS::ApiGateway::UsagePlan': 2,
      'AWS::ApiGateway::UsagePlanKey': 2,
      'AWS::IAM::Policy': 2,
      'AWS::IAM::Role': 3,
      'AWS::Lambda::Function': 1,
      'AWS::Lambda::Permission': 2,
      'AWS::Logs::LogGroup': 3,
      // Issue 18: alarms (2 per stage, 2 for the Lambda, 2 per endpoint), their topic, a dashboard.
      'AWS::CloudWatch::Alarm': 8,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
    });
  });

  it('keeps its logical ids: construct ids are a contract (renaming one replaces the resource)', () => {
    // The deployment's id ends in a hash of the API's content, new on every API change.
    const ids = Object.keys(template.Resources).map((id) =>
      id.replace(/^(ApiRestApiDeploymentDC05A82D)[0-9a-f]{32}$/, '$1<content-hash>'),
    );
    expect(ids.sort()).toEqual(
      [
        'ApiPredictFunctionLogs5D61F6CE',
        'ApiPredictFunctionServiceRole8AA5BC78',
        'ApiPredictFunctionServiceRoleDefaultPolicy35A9B416',
        'ApiPredictFunction5CA4BA00',
        'ApiInvocationsRoleEEBC146D',
        'ApiInvocationsRoleDefaultPolicyDD0AB965',
        'ApiStagesdevAccessLogsD52DAFFA',
        'ApiStagesdevUsagePlan9905CB6F',
        'ApiStagesdevUsagePlanUsagePlanKeyResourceImageInferenceGatewayApiStagesdevApiKey1D7B1C06579D806D5',
        'ApiStagesdevApiKey17B2D3955',
        'ApiStagesprodAccessLogs8BE7D0F8',
        'ApiStagesprodStage7537C1BD',
        'ApiStagesprodApiPermissionPOSTpredictF22C646C',
        'ApiStagesprodUsagePlan0270C19A',
        'ApiStagesprodUsagePlanUsagePlanKeyResourceImageInferenceGatewayApiStagesprodApiKey1118927352D9346F3',
        'ApiStagesprodApiKey1179DCC0D',
        'ApiRestApiE35FEAFE',
        'ApiRestApiCloudWatchRoleB7879BFC',
        'ApiRestApiAccount598A1DA6',
        'ApiRestApiDeploymentDC05A82D<content-hash>',
        'ApiRestApiDeploymentStagedevE2B308CE',
        'ApiRestApipredictD387B5F6',
        'ApiRestApipredictPOSTApiPermissionImageInferenceGatewayApiRestApi2A803643POSTpredictC13FBE81',
        'ApiRestApipredictPOST8A11C2BA',
        'ApiRestApipredictOPTIONS4075F6E5',
        'ApiRestApiinvocations352E8BC1',
        'ApiRestApiinvocationsPOST83FAD210',
        'ApiRestApiinvocationsOPTIONS24241736',
        'ApiRestApiRequireContentType2109414A',
        'ApiRestApiDEFAULT4XX96722630',
        'ApiRestApiDEFAULT5XXF7C0DBED',
        'ApiRestApiINVALIDAPIKEYD9E52F6C',
        'ApiRestApiMISSINGAUTHENTICATIONTOKEN6E432249',
        'ApiRestApiTHROTTLED6EA2E6BE',
        'ApiRestApiQUOTAEXCEEDED6D1BDEA5',
        'ApiRestApiINTEGRATIONTIMEOUT6DF6F9A0',
        'ApiRestApiINTEGRATIONFAILURE82D0DD9C',
        'ApiRestApiAPICONFIGURATIONERRORD076C99E',
        'ApiRestApiBADREQUESTPARAMETERSBB2B6904',
        'ApiRestApiBADREQUESTBODYBF21D3EB',
        'ApiRestApiREQUESTTOOLARGE5279E6F6',
        'ApiRestApiACCESSDENIEDADC20F7B',
        'ApiRestApiAUTHORIZERCONFIGURATIONERRORBFB82873',
        'ApiRestApiAUTHORIZERFAILUREA942E466',
        'ApiRestApiEXPIREDTOKENB9AC182B',
        'ApiRestApiINVALIDSIGNATUREEA6B9E20',
        'ApiRestApiRESOURCENOTFOUND26978E59',
        'ApiRestApiUNAUTHORIZED4C8D18A1',
        'ApiRestApiUNSUPPORTEDMEDIATYPE41187EEB',
        'ApiRestApiWAFFILTEREDB5004FDF',
        'OperationsAlarmTopic909EF7A3',
        'OperationsAlarmTopicPolicy8B2C617C',
        'OperationsAlarmsEndpoint1InvocationErrors875C6287',
        'OperationsAlarmsEndpoint1ModelLatency18882782',
        'OperationsAlarmsPredictFunctionErrors2C24B34F',
        'OperationsAlarmsPredictFunctionThrottles4EB87408',
        'OperationsAlarmsdevP99Latency1F9687C8',
        'OperationsAlarmsdevServerErrorRate64D670E7',
        'OperationsAlarmsprodP99Latency8A63F5F7',
        'OperationsAlarmsprodServerErrorRate30720DF7',
        'OperationsDashboardE19B83FC',
      ].sort(),
    );
  });

  it("leaves the account's CloudWatch role alone with apiGatewayAccountRole=existing", () => {
    const existing = synthesizeTemplate({ apiGatewayAccountRole: 'existing' }) as typeof template;
    const types = Object.values(existing.Resources).map((r) => r.Type);
    expect(types).not.toContain('AWS::ApiGateway::Account');
    expect(types.filter((type) => type === 'AWS::IAM::Role')).toHaveLength(2);
    expect(Object.keys(existing.Resources)).not.toContain('ApiRestApiCloudWatchRoleB7879BFC');
  });

  it('passes endpointProtocol and forwardFields to the predict function (issue 16)', () => {
    const withProtocol = synthesizeTemplate({
      endpointProtocol: 'jumpstart-ic',
      forwardFields: 'note',
    }) as typeof template;
    const variables = Object.values(withProtocol.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map(
        (r) =>
          (r as unknown as { Properties: { Environment: { Variables: Record<string, string> } } })
            .Properties.Environment.Variables,
      );
    expect(variables).toHaveLength(1);
    expect(variables[0]).toMatchObject({
      ENDPOINT_PROTOCOL: 'jumpstart-ic',
      FORWARD_FIELDS: 'note',
    });
  });

  it.each([
    { what: 'the embedded model by default', context: {}, expected: 'nsfwjs-mobilenet-v2' },
    {
      what: 'a built-in profile by name',
      context: { modelInputProfile: 'nsfwjs-mobilenet-v2' },
      expected: 'nsfwjs-mobilenet-v2',
    },
    {
      what: "the user's own profile as JSON",
      context: {
        modelInputProfile:
          '{"name":"resnet50-torchvision","width":224,"height":224,"resize":"cover","cropFraction":0.875,"resample":"bilinear-antialias","encoding":"png"}',
      },
      expected:
        '{"name":"resnet50-torchvision","width":224,"height":224,"resize":"cover","cropFraction":0.875,"resample":"bilinear-antialias","encoding":"png"}',
    },
  ])(
    'passes context modelInputProfile to the predict function as MODEL_INPUT_PROFILE: $what',
    ({ context, expected }) => {
      const synthesized = synthesizeTemplate(context) as typeof template;
      const functions = Object.values(synthesized.Resources).filter(
        (r) => r.Type === 'AWS::Lambda::Function',
      ) as unknown as Array<{ Properties: { Environment: { Variables: Record<string, string> } } }>;
      expect(
        functions.map((fn) => fn.Properties.Environment.Variables.MODEL_INPUT_PROFILE),
      ).toEqual([expected]);
    },
  );

  it('refuses a context modelInputProfile the function would refuse, at synth', () => {
    expect(() =>
      synthesizeTemplate({ modelInputProfile: '{"width":224,"height":224,"resize":"crop"}' }),
    ).toThrow(
      'modelInputProfile.resize must be one of fill, cover, contain, inside, outside, but received "crop"',
    );
  });

  it('describes the stack, and checks the CDK bootstrap version', () => {
    const whole = template as unknown as Record<string, unknown>;
    expect(whole.Description).toBe(
      'image-inference-gateway: API Gateway REST + Lambda in front of a SageMaker endpoint.',
    );
    expect(Object.keys(whole).sort()).toEqual([
      'Description',
      'Outputs',
      'Parameters',
      'Resources',
      'Rules',
    ]);
  });
});
