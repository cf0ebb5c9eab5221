/**
 * Test support for the local gateway: the synthesised template and variants
 * of it (a permission or a policy statement removed or changed, as a
 * mistaken stack would deploy), the gateway started on a free port with a
 * stand-in Lambda handler, and an HTTP stand-in for SageMaker Runtime that
 * records what reached it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiModel, readApiModel } from '../emulation/api-model.ts';
import { createGateway, type GatewayOptions, type LambdaHandler } from '../gateway.ts';
import { localTemplate } from '../template.ts';

export const TEST_KEY = 'local-gateway-test-key-00001';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** A synthesised template, with its resources typed loosely for editing. */
export type Template = Record<string, unknown> & { Resources: Record<string, Resource> };

/** A fresh copy of the stack's template synthesised with `context` (cached per context). */
const synthesised = new Map<string, Template>();
export function template(context: Readonly<Record<string, unknown>> = {}): Template {
  const key = JSON.stringify(context);
  let found = synthesised.get(key);
  if (found === undefined) {
    found = localTemplate(context) as Template;
    synthesised.set(key, found);
  }
  return structuredClone(found);
}

/** The logical ids of the resources of `type`. */
export function idsOf(t: Template, type: string): string[] {
  return Object.entries(t.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
}

/** Removes every `AWS::Lambda::Permission`: no stage may call the function. */
export function withoutLambdaPermissions(t: Template): Template {
  for (const id of idsOf(t, 'AWS::Lambda::Permission')) delete t.Resources[id];
  return t;
}

/**
 * Replaces the Lambda permissions with one whose SourceArn ends in
 * `sourcePath` (`{stage}/{METHOD}/{path}`, wildcards allowed), written the
 * way CDK writes it: `Fn::Join` with `Ref`s to the partition, region,
 * account and the RestApi.
 */
export function withLambdaPermission(
  t: Template,
  sourcePath: string,
  overrides: Record<string, unknown> = {},
): Template {
  const [fn] = idsOf(t, 'AWS::Lambda::Function');
  const [api] = idsOf(t, 'AWS::ApiGateway::RestApi');
  withoutLambdaPermissions(t);
  t.Resources.TestPermission = {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':execute-api:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':',
            { Ref: api },
            `/${sourcePath}`,
          ],
        ],
      },
      ...overrides,
    },
  };
  return t;
}

/** The role the passthrough route's integration uses as its credentials. */
export function passthroughRoleId(t: Template): string {
  for (const resource of Object.values(t.Resources)) {
    const integration = resource.Properties.Integration as Record<string, unknown> | undefined;
    const credentials = integration?.Credentials as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const roleId = credentials?.['Fn::GetAtt']?.[0];
    if (resource.Type === 'AWS::ApiGateway::Method' && roleId !== undefined) return roleId;
  }
  throw new Error('no integration with credentials in the template');
}

/** Applies `edit` to the statement lists of every policy attached to the passthrough role. */
export function editPassthroughPolicy(
  t: Template,
  edit: (statements: Array<Record<string, unknown>>) => Array<Record<string, unknown>>,
): Template {
  const roleId = passthroughRoleId(t);
  for (const id of idsOf(t, 'AWS::IAM::Policy')) {
    const policy = t.Resources[id]?.Properties as Record<string, unknown>;
    const roles = (policy.Roles as Array<{ Ref?: string }>).map((r) => r.Ref);
    if (!roles.includes(roleId)) continue;
    const document = policy.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    document.Statement = edit(document.Statement);
  }
  return t;
}

/** Removes `sagemaker:InvokeEndpoint` from the passthrough role's policies. */
export function withoutInvokeEndpoint(t: Template): Template {
  return editPassthroughPolicy(t, (statements) =>
    statements.filter((s) => ![s.Action].flat().includes('sagemaker:InvokeEndpoint')),
  );
}

export interface RunningGateway {
  readonly url: string;
  /** The events the stand-in Lambda received. */
  readonly events: APIGatewayProxyEvent[];
  close(): Promise<void>;
}

/**
 * The gateway for `model`, its Lambda a stand-in that answers 200 and
 * records the event; `limits` as `createGateway` takes them.
 */
export async function startGateway(
  model: ApiModel | Template,
  sagemakerUrl = 'http://127.0.0.1:9',
  handler?: LambdaHandler,
  limits?: GatewayOptions['limits'],
): Promise<RunningGateway> {
  const events: APIGatewayProxyEvent[] = [];
  const apiModel = 'Resources' in model ? readApiModel(model) : model;
  const server = createGateway({
    model: apiModel,
    apiKey: TEST_KEY,
    sagemakerUrl,
    limits,
    handlerFor: () =>
      handler ??
      (async (event) => {
        events.push(event);
        return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{}' };
      }),
  });
  return { ...(await listen(server)), events };
}

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One request as the stand-in SageMaker saw it. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SageMakerStandIn {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

/**
 * Records each request and answers 200 with `answer` (JSON by default);
 * `answer` may echo the request.
 */
export async function startSageMakerStandIn(
  answer: (request: Received) => { contentType: string; body: Buffer } = () => ({
    contentType: 'application/json',
    body: Buffer.from('{"predictions":[]}'),
  }),
): Promise<SageMakerStandIn> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const { contentType, body } = answer(request);
      res.writeHead(200, {
        'Content-Type': contentType,
        'X-Amzn-Invoked-Production-Variant': 'StandIn',
      });
      res.end(body);
    });
  });
  return { ...(await listen(server)), received };
}
