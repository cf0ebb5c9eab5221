/**
 * The part of IAM's policy evaluation the local gateway needs: identity
 * policy statements (Allow/Deny, Action/NotAction, Resource/NotResource)
 * evaluated for one action on one resource, and the ArnLike condition
 * operator. Statements with a Condition block are not evaluated here: they
 * are treated as not applying (the local gateway has no request context to
 * test them against). Source: IAM user guide, "Policy evaluation logic" and
 * "IAM JSON policy elements: Resource / Condition operators".
 */
import { type Json, list, type Reference, resolveString } from './cfn.ts';

export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  /** `Action` patterns (exactly one of actions / notActions is used). */
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  /** `Resource` patterns, resolved; an unresolvable one is left out (it matches nothing). */
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** The statement has a Condition block. */
  readonly conditional: boolean;
}

/** IAM's verdict for one request. */
export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const cache = new Map<string, RegExp>();

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
}

/** Compiles `pattern` once; `star(segment, index)` says what a `*` there may span. */
function compiled(
  key: string,
  pattern: string,
  star: (segment: string, index: number) => string,
  flags = '',
): RegExp {
  let regex = cache.get(key);
  if (regex === undefined) {
    const source = pattern
      .split(':')
      .map((segment) =>
        [...segment]
          .map((c, i) => (c === '*' ? star(segment, i) : c === '?' ? '[^:]' : escapeRegExp(c)))
          .join(''),
      )
      .join(':');
    regex = new RegExp(`^${source}$`, flags);
    cache.set(key, regex);
  }
  return regex;
}

/** An action pattern (`sagemaker:Invoke*`) against an action: case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return compiled(`a${pattern}`, pattern, () => '.*', 'i').test(action);
}

/**
 * A Resource element against an ARN: case-sensitive; a `*` stays within its
 * colon-separated segment unless it ends the segment, where it may expand
 * past the colon boundaries.
 */
export function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  return compiled(`r${pattern}`, pattern, (segment, i) =>
    i === segment.length - 1 ? '.*' : '[^:]*',
  ).test(arn);
}

/**
 * The ArnLike condition operator: the six colon-delimited components of the
 * ARN are compared separately, each with `*` and `?` wildcards, case-sensitively.
 */
export function arnLike(pattern: string, arn: string): boolean {
  const wanted = splitArn(pattern);
  const actual = splitArn(arn);
  if (wanted === undefined || actual === undefined) return false;
  return wanted.every((part, i) =>
    compiled(`l${part}`, part.replace(/:/g, '\u0000'), () => '.*').test(
      (actual[i] as string).replace(/:/g, '\u0000'),
    ),
  );
}

/** `arn:partition:service:region:account:resource`, the resource keeping its own colons. */
function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function statementMatches(statement: PolicyStatement, action: string, resource: string): boolean {
  const actionHit =
    statement.notActions.length > 0
      ? !statement.notActions.some((p) => actionMatches(p, action))
      : statement.actions.some((p) => actionMatches(p, action));
  if (!actionHit) return false;
  return statement.notResources.length > 0
    ? !statement.notResources.some((p) => resourceMatches(p, resource))
    : statement.resources.some((p) => resourceMatches(p, resource));
}

/** Explicit deny wins, then an allow, else the implicit deny. */
export function evaluate(
  statements: readonly PolicyStatement[],
  action: string,
  resource: string,
): Decision {
  const applying = statements.filter(
    (s) => !s.conditional && statementMatches(s, action, resource),
  );
  if (applying.some((s) => s.effect === 'Deny')) return 'explicit-deny';
  return applying.some((s) => s.effect === 'Allow') ? 'allow' : 'implicit-deny';
}

/** The statements of a policy document, its ARNs resolved with `resolve`. */
export function readStatements(
  document: unknown,
  resolve: (reference: Reference) => string,
): PolicyStatement[] {
  const raw = list<Json>((document as Json | undefined)?.Statement as Json | Json[] | undefined);
  const strings = (value: unknown): string[] =>
    list(value as unknown[] | undefined)
      .map((item) => resolveString(item, resolve))
      .filter((item): item is string => item !== undefined);
  return raw.map((statement) => ({
    effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
    actions: strings(statement.Action),
    notActions: strings(statement.NotAction),
    resources: strings(statement.Resource),
    notResources: strings(statement.NotResource),
    conditional: statement.Condition !== undefined,
  }));
}
