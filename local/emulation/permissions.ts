/**
 * What the template allows API Gateway to call: the Lambda functions'
 * resource policies (`AWS::Lambda::Permission`) and the execution roles an
 * integration names as credentials (trust policy, and the identity policies
 * attached to them). The local gateway asks before each integration call
 * and answers as AWS does where the template does not allow it.
 */
import {
  type AwsIdentity,
  lambdaFunctionArn,
  pseudoParameter,
  roleArn,
  sageMakerEndpointArn,
} from './aws-identity.ts';
import { type Json, list, ofType, type Reference, resolveString, target, typeOf } from './cfn.ts';
import {
  actionMatches,
  arnLike,
  type Decision,
  evaluate,
  type PolicyStatement,
  readStatements,
} from './iam.ts';

/** API Gateway's service principal. */
export const API_GATEWAY_PRINCIPAL = 'apigateway.amazonaws.com';

/** One `AWS::Lambda::Permission`, its ARNs resolved. */
export interface LambdaPermission {
  /** Logical id of the function it grants on. */
  readonly functionId: string;
  readonly action: string;
  readonly principal: string;
  /** The ArnLike pattern the calling ARN must match; undefined: any. */
  readonly sourceArn: string | undefined;
  readonly sourceAccount: string | undefined;
}

/** An IAM role of the template, as an integration's credentials. */
export interface ExecutionRole {
  readonly id: string;
  /** The trust policy lets API Gateway assume the role. */
  readonly trustsApiGateway: boolean;
  /** Statements of its inline and attached customer policies (AWS managed ones are not known here). */
  readonly statements: readonly PolicyStatement[];
}

export interface AccessModel {
  readonly identity: AwsIdentity;
  readonly lambdaPermissions: readonly LambdaPermission[];
  readonly roles: ReadonlyMap<string, ExecutionRole>;
}

/**
 * How a template reference reads as text: pseudo parameters and the RestApi
 * as `identity` says, a stage by its name, a function or role ARN from its
 * logical id, an authorizer by its logical id (its local id), anything else
 * as a marker no ARN can match.
 */
function referenceResolver(template: Json, identity: AwsIdentity): (ref: Reference) => string {
  const stageNames = new Map(
    ofType(template, 'AWS::ApiGateway::Stage').map(([id, stage]) => [id, String(stage.StageName)]),
  );
  return ({ id, attribute }) => {
    const pseudo = pseudoParameter(id, identity);
    if (pseudo !== undefined) return pseudo;
    const type = typeOf(template, id);
    if (type === 'AWS::ApiGateway::RestApi' && attribute === undefined) return identity.apiId;
    if (type === 'AWS::ApiGateway::Stage') return stageNames.get(id) ?? id;
    if (type === 'AWS::Lambda::Function') {
      return attribute === 'Arn' ? lambdaFunctionArn(identity, id) : id;
    }
    if (type === 'AWS::IAM::Role' && attribute === 'Arn') return roleArn(identity, id);
    if (type === 'AWS::ApiGateway::Authorizer' && attribute === undefined) return id;
    return `\u0000${id}`;
  };
}

function trustsApiGateway(document: unknown): boolean {
  return readPrincipalStatements(document).some(
    (s) =>
      s.effect === 'Allow' &&
      s.actions.some((a) => actionMatches(a, 'sts:AssumeRole')) &&
      s.services.includes(API_GATEWAY_PRINCIPAL),
  );
}

function readPrincipalStatements(
  document: unknown,
): Array<{ effect: string; actions: readonly string[]; services: readonly string[] }> {
  return list<Json>((document as Json | undefined)?.Statement as Json | Json[] | undefined).map(
    (s) => ({
      effect: String(s.Effect),
      actions: list(s.Action as string | string[] | undefined),
      services: list(((s.Principal ?? {}) as Json).Service as string | string[] | undefined),
    }),
  );
}

/** The Lambda permissions and execution roles of `template`. */
export function readAccess(template: Json, identity: AwsIdentity): AccessModel {
  const resolve = referenceResolver(template, identity);
  const lambdaPermissions = ofType(template, 'AWS::Lambda::Permission').flatMap(
    ([, permission]): LambdaPermission[] => {
      const functionId = target(permission.FunctionName);
      if (functionId === undefined) return [];
      const sourceArn =
        permission.SourceArn === undefined
          ? undefined
          : (resolveString(permission.SourceArn, resolve) ?? '\u0000');
      return [
        {
          functionId,
          action: String(permission.Action),
          principal: String(permission.Principal),
          sourceArn,
          sourceAccount:
            permission.SourceAccount === undefined
              ? undefined
              : resolveString(permission.SourceAccount, resolve),
        },
      ];
    },
  );

  const statementsOf = new Map<string, PolicyStatement[]>();
  const attach = (roleIds: unknown, document: unknown) => {
    for (const roleId of list(roleIds as unknown[] | undefined).map(target)) {
      if (roleId === undefined) continue;
      statementsOf.set(roleId, [
        ...(statementsOf.get(roleId) ?? []),
        ...readStatements(document, resolve),
      ]);
    }
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [, policy] of ofType(template, type)) attach(policy.Roles, policy.PolicyDocument);
  }
  // A role may name the stack's own managed policies instead (ManagedPolicyArns).
  const managed = new Map(ofType(template, 'AWS::IAM::ManagedPolicy'));
  for (const [roleId, role] of ofType(template, 'AWS::IAM::Role')) {
    for (const arn of list(role.ManagedPolicyArns as unknown[] | undefined)) {
      const policy = managed.get(target(arn) ?? '');
      if (policy !== undefined) attach([{ Ref: roleId }], policy.PolicyDocument);
    }
  }
  const roles = new Map(
    ofType(template, 'AWS::IAM::Role').map(([id, role]) => {
      const inline = list(role.Policies as Json[] | undefined).flatMap((policy) =>
        readStatements(policy.PolicyDocument, resolve),
      );
      return [
        id,
        {
          id,
          trustsApiGateway: trustsApiGateway(role.AssumeRolePolicyDocument),
          statements: [...inline, ...(statementsOf.get(id) ?? [])],
        },
      ];
    }),
  );
  return { identity, lambdaPermissions, roles };
}

/**
 * Whether a resource policy statement of the function lets API Gateway
 * invoke it for a call whose ARN is `sourceArn` (see `executeApiArn`).
 * Source: Lambda developer guide, "Granting function access to AWS services"
 * (Principal, SourceArn with ArnLike, SourceAccount).
 */
export function resourcePolicyAllows(
  access: AccessModel,
  functionId: string,
  sourceArn: string,
): boolean {
  return access.lambdaPermissions.some(
    (p) =>
      p.functionId === functionId &&
      actionMatches(p.action, 'lambda:InvokeFunction') &&
      (p.principal === API_GATEWAY_PRINCIPAL || p.principal === '*') &&
      (p.sourceArn === undefined || arnLike(p.sourceArn, sourceArn)) &&
      (p.sourceAccount === undefined || p.sourceAccount === access.identity.accountId),
  );
}

/** Why a role cannot make a call, or 'allow'. */
export type RoleVerdict = Decision | 'not assumable';

/**
 * Whether API Gateway, assuming `roleId`, may perform `action` on
 * `resource`. A role outside the template (a literal ARN) cannot be read
 * and is taken to allow the call.
 */
export function roleAllows(
  access: AccessModel,
  roleId: string,
  action: string,
  resource: string,
): RoleVerdict {
  const role = access.roles.get(roleId);
  if (role === undefined) return 'allow';
  if (!role.trustsApiGateway) return 'not assumable';
  return evaluate(role.statements, action, resource);
}

/** The IAM action and resource of one AWS service call an integration makes. */
export interface ServiceCall {
  readonly action: string;
  readonly resource: string;
}

const INVOKE_ENDPOINT_PATH = /^endpoints\/([^/]+)\/invocations$/;

/**
 * The IAM action and resource an AWS integration's call needs: for SageMaker
 * Runtime's `endpoints/{name}/invocations`, `sagemaker:InvokeEndpoint` on the
 * endpoint's ARN. Undefined for a call this emulation does not know.
 */
export function serviceCall(
  identity: AwsIdentity,
  service: string | undefined,
  path: string,
): ServiceCall | undefined {
  const match = service === 'runtime.sagemaker' ? INVOKE_ENDPOINT_PATH.exec(path) : null;
  if (match === null) return undefined;
  let name = match[1] as string;
  try {
    name = decodeURIComponent(name);
  } catch {
    // kept as sent
  }
  return { action: 'sagemaker:InvokeEndpoint', resource: sageMakerEndpointArn(identity, name) };
}

/** A service's answer, as an integration response reads it. */
export interface ServiceAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The session name API Gateway gives the role sessions it assumes for integrations (observed). */
const API_GATEWAY_SESSION = 'BackplaneAssumeRoleSession';

/**
 * What an AWS service answers a call its caller's policies do not allow:
 * 403 AccessDeniedException, in the restJson1 shape SageMaker Runtime uses
 * (type in `x-amzn-errortype`, message in the body), with IAM's wording.
 * Source: IAM user guide, "Troubleshoot access denied error messages".
 */
export function accessDenied(
  access: AccessModel,
  roleId: string,
  call: ServiceCall,
  decision: Decision,
): ServiceAnswer {
  const { identity } = access;
  const why =
    decision === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${call.action} action`;
  return {
    status: 403,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype':
        'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/',
    },
    body: JSON.stringify({
      message: `User: arn:${identity.partition}:sts::${identity.accountId}:assumed-role/${roleId}/${API_GATEWAY_SESSION} is not authorized to perform: ${call.action} on resource: ${call.resource} ${why}`,
    }),
  };
}
