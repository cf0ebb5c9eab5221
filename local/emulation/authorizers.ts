/**
 * Lambda TOKEN authorizers as API Gateway runs them, read from the
 * template's `AWS::ApiGateway::Authorizer` (its function, identity source,
 * identity validation expression and result TTL) and decided per request:
 *
 * - the identity header missing, or not matching the validation
 *   expression: 401 (UNAUTHORIZED) without calling the function;
 * - the function throws `Unauthorized`: 401 (UNAUTHORIZED);
 * - the function's resource policy does not let API Gateway invoke it for
 *   this authorizer (`.../authorizers/<id>`), it throws anything else, or it
 *   returns no usable policy: 500 (AUTHORIZER_CONFIGURATION_ERROR);
 * - its policy allows `execute-api:Invoke` on the method's ARN: through;
 *   denies it, explicitly or by not allowing it: 403 (ACCESS_DENIED).
 *
 * A returned policy is cached by stage, authorizer and token for the TTL
 * (0: no cache) and applied to every method the token calls on that stage
 * meanwhile: the function is not called again. The cache is a stage's
 * (API Gateway API reference, FlushStageAuthorizersCache: "Flushes all
 * authorizer cache entries on a stage"), so a token's first call on each
 * stage calls the function. Sources: API Gateway developer guide, "Use
 * API Gateway Lambda authorizers", "Input to" and "Output from an API
 * Gateway Lambda authorizer"; AWS::ApiGateway::Authorizer.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { executeApiArn } from './aws-identity.ts';
import { type Json, ofType, target, targets } from './cfn.ts';
import { evaluate, readStatements } from './iam.ts';
import { type AccessModel, resourcePolicyAllows } from './permissions.ts';
import type { Fault } from './reply.ts';
import type { Clock } from './throttle.ts';

/** A TOKEN authorizer of the template. */
export interface TokenAuthorizer {
  /** Logical id of the AWS::ApiGateway::Authorizer. */
  readonly id: string;
  /** Logical id of its Lambda function. */
  readonly functionId: string;
  /** The header the token is read from (`method.request.header.<name>`), lower case. */
  readonly identityHeader: string;
  readonly validationExpression: RegExp | undefined;
  /** AuthorizerResultTtlInSeconds: CloudFormation's default is 300. */
  readonly ttlSeconds: number;
}

/** The function behind an authorizer, run in-process. */
export type TokenAuthorizerFunction = (
  event: APIGatewayTokenAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/** What the authorizer decided: through (with its principal), or a fault. */
export type Authorization =
  | {
      readonly authorized: true;
      /** `requestContext.authorizer` of the Lambda event: `principalId` and the policy's `context`. */
      readonly context: Readonly<Record<string, unknown>>;
    }
  | { readonly authorized: false; readonly fault: Fault };

const HEADER_SOURCE = 'method.request.header.';
const UNAUTHORIZED: Fault = { fault: 'UNAUTHORIZED' };
const CONFIGURATION_ERROR: Fault = { fault: 'AUTHORIZER_CONFIGURATION_ERROR' };

/** The template's TOKEN authorizers by logical id. */
export function readAuthorizers(template: Json): ReadonlyMap<string, TokenAuthorizer> {
  return new Map(
    ofType(template, 'AWS::ApiGateway::Authorizer')
      .filter(([, authorizer]) => authorizer.Type === 'TOKEN')
      .map(([id, authorizer]) => {
        const source = String(authorizer.IdentitySource ?? '');
        const functionId =
          targets(authorizer.AuthorizerUri).find((ref) => !ref.startsWith('AWS::')) ?? '';
        const ttl = authorizer.AuthorizerResultTtlInSeconds;
        return [
          id,
          {
            id,
            functionId,
            identityHeader: source.startsWith(HEADER_SOURCE)
              ? source.slice(HEADER_SOURCE.length).toLowerCase()
              : source.toLowerCase(),
            validationExpression:
              typeof authorizer.IdentityValidationExpression === 'string'
                ? new RegExp(authorizer.IdentityValidationExpression)
                : undefined,
            ttlSeconds: typeof ttl === 'number' ? ttl : 300,
          },
        ];
      }),
  );
}

/** The authorizer of a method (`AuthorizationType: CUSTOM`), if any. */
export function methodAuthorizer(
  method: Json,
  authorizers: ReadonlyMap<string, TokenAuthorizer>,
): TokenAuthorizer | undefined {
  if (method.AuthorizationType !== 'CUSTOM') return undefined;
  return authorizers.get(target(method.AuthorizerId) ?? '');
}

/** One request to decide. */
export interface AuthorizationRequest {
  readonly stage: string;
  readonly method: string;
  readonly resourcePath: string;
  /** The identity header's value, if sent. */
  readonly token: string | undefined;
}

interface Cached {
  readonly policy: APIGatewayAuthorizerResult;
  readonly expiresAt: number;
}

/** Runs authorizers, with API Gateway's per-token result cache. */
export class TokenAuthorizers {
  private readonly cache = new Map<string, Cached>();

  private readonly access: AccessModel;
  private readonly functionFor: (functionId: string) => TokenAuthorizerFunction;
  private readonly clock: Clock;

  /**
   * @param access the API's identity (for the method ARN the function
   * receives) and the Lambda permissions (API Gateway may invoke the function?)
   * @param functionFor the in-process function of an authorizer's Lambda (logical id)
   */
  constructor(
    access: AccessModel,
    functionFor: (functionId: string) => TokenAuthorizerFunction,
    clock: Clock,
  ) {
    this.access = access;
    this.functionFor = functionFor;
    this.clock = clock;
  }

  /** Decides `request` with `authorizer`, calling its function only on a cache miss. */
  async authorize(
    authorizer: TokenAuthorizer,
    request: AuthorizationRequest,
  ): Promise<Authorization> {
    const { token } = request;
    if (token === undefined || token === '') return refused(UNAUTHORIZED);
    if (authorizer.validationExpression?.test(token) === false) return refused(UNAUTHORIZED);
    const { identity } = this.access;
    const methodArn = executeApiArn(identity, request.stage, request.method, request.resourcePath);
    const key = `${request.stage}\u0000${authorizer.id}\u0000${token}`;
    const now = this.clock();
    let policy = this.cache.get(key);
    if (policy === undefined || policy.expiresAt <= now) {
      this.cache.delete(key);
      // Observed: "Execution failed due to configuration error: Invalid permissions on Lambda function".
      const authorizerArn = `arn:${identity.partition}:execute-api:${identity.region}:${identity.accountId}:${identity.apiId}/authorizers/${authorizer.id}`;
      if (!resourcePolicyAllows(this.access, authorizer.functionId, authorizerArn)) {
        return refused(CONFIGURATION_ERROR);
      }
      let result: APIGatewayAuthorizerResult;
      try {
        result = await this.functionFor(authorizer.functionId)({
          type: 'TOKEN',
          authorizationToken: token,
          methodArn,
        });
      } catch (error) {
        return refused(
          (error as Error).message === 'Unauthorized' ? UNAUTHORIZED : CONFIGURATION_ERROR,
        );
      }
      if (typeof result?.policyDocument !== 'object') return refused(CONFIGURATION_ERROR);
      policy = { policy: result, expiresAt: now + authorizer.ttlSeconds * 1000 };
      if (authorizer.ttlSeconds > 0) this.cache.set(key, policy);
    }
    const statements = readStatements(policy.policy.policyDocument, () => '');
    return evaluate(statements, 'execute-api:Invoke', methodArn) === 'allow'
      ? {
          authorized: true,
          context: { ...policy.policy.context, principalId: policy.policy.principalId },
        }
      : refused({ fault: 'ACCESS_DENIED' });
  }
}

function refused(fault: Fault): Authorization {
  return { authorized: false, fault };
}
