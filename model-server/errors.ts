/**
 * The container's own errors: an HTTP status and a message for the caller.
 * SageMaker relays a non-2xx answer as ModelError with the message as
 * `OriginalMessage`, so messages say what was wrong with the input.
 */

/** Statuses the container answers with, each for one kind of problem. */
export const INVOCATION_STATUS = {
  /** The input is malformed: bad JSON, no image, undecodable image. */
  badInput: 400,
  /** The Accept header asks for something other than JSON. */
  notAcceptable: 406,
  /** Body, file or pixel count over a limit. */
  tooLarge: 413,
  /** Content type or image format not served. */
  unsupported: 415,
  /** The model failed. */
  modelFailure: 500,
  /** The model is not loaded (yet). */
  notReady: 503,
} as const;

export type InvocationProblem = keyof typeof INVOCATION_STATUS;

export class InvocationError extends Error {
  override readonly name = 'InvocationError';
  readonly problem: InvocationProblem;
  readonly status: number;

  constructor(problem: InvocationProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.problem = problem;
    this.status = INVOCATION_STATUS[problem];
  }
}
