import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ENDPOINT_NAME_RULE, isEndpointName } from '#shared/aws-facts.ts';

/**
 * Prop checks shared by the constructs. Each throws a PropsError whose
 * message names the prop, what was received and what was expected.
 * Unresolved tokens are skipped: their value is only known at deploy time.
 */

/**
 * A construct received props it cannot deploy. (aws-cdk-lib's own
 * ValidationError is internal, so constructs outside it cannot throw one.)
 */
export class PropsError extends Error {
  override readonly name = 'PropsError';
  /** Where in the construct tree, e.g. `ImageInferenceGateway/Api`. */
  readonly constructPath: string;

  constructor(scope: IConstruct, message: string) {
    super(message);
    this.constructPath = scope.node.path;
  }
}

/** JSON for strings and numbers, so `"dev "` and `3` read unambiguously in messages. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function fail(scope: IConstruct, message: string): never {
  throw new PropsError(scope, message);
}

/** A number in [min, max] that passes `kind`'s test; tokens pass. */
function checkRange(
  kind: 'an integer' | 'a number',
  scope: IConstruct,
  name: string,
  value: number,
  min: number,
  max: number,
): void {
  if (Token.isUnresolved(value)) return;
  const valid = kind === 'an integer' ? Number.isInteger(value) : Number.isFinite(value);
  if (!valid || value < min || value > max) {
    fail(scope, `${name} must be ${kind} from ${min} to ${max}, but received ${show(value)}`);
  }
}

/** An integer in [min, max]; tokens pass. */
export function checkInteger(
  scope: IConstruct,
  name: string,
  value: number,
  min: number,
  max: number,
): void {
  checkRange('an integer', scope, name, value, min, max);
}

/** A finite number in [min, max]; tokens pass. */
export function checkNumber(
  scope: IConstruct,
  name: string,
  value: number,
  min: number,
  max: number,
): void {
  checkRange('a number', scope, name, value, min, max);
}

/** A string matching `pattern` (described by `expected`); tokens pass. */
export function checkPattern(
  scope: IConstruct,
  name: string,
  value: string,
  pattern: RegExp,
  expected: string,
): void {
  if (Token.isUnresolved(value)) return;
  if (!pattern.test(value)) {
    fail(scope, `${name} must be ${expected}, but received ${show(value)}`);
  }
}

/** A SageMaker endpoint name (CreateEndpoint `EndpointName`); tokens pass. */
export function checkEndpointName(scope: IConstruct, name: string, value: string): void {
  if (Token.isUnresolved(value)) return;
  if (!isEndpointName(value)) {
    fail(
      scope,
      `${name} must be a SageMaker endpoint name (${ENDPOINT_NAME_RULE}), but received ${show(value)}`,
    );
  }
}
