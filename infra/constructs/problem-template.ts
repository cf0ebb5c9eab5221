import { ERROR_CATALOGUE, type ErrorCode } from '#shared/errors.ts';
import { type Problem, problemType } from '#shared/problem.ts';

/**
 * API Gateway mapping templates that render the project's problem+json
 * (shared/problem.ts) for errors API Gateway makes itself: gateway
 * responses and the passthrough route's integration responses.
 */

/**
 * Use as a detail to pass on API Gateway's own message. The variable is a
 * JSON string literal already (quotes and escapes included), so it is
 * spliced into the template unquoted.
 */
export const GATEWAY_MESSAGE = '$context.error.messageString';

/** The request id the Lambda also reports when no X-Request-Id was sent. */
const REQUEST_ID = '$context.requestId';

const PLACEHOLDER = '\u0000detail\u0000';

/** How a problem template is rendered. */
export interface ProblemTemplateOptions {
  /**
   * Include the code's status. Off where the HTTP status is API Gateway's
   * and unknown to the template (a fallback gateway response).
   * @default true
   */
  readonly withStatus?: boolean;
}

/**
 * The problem body for `code`, as a template: `requestId` is API Gateway's
 * request id, `detail` a fixed sentence or GATEWAY_MESSAGE. Fixed details
 * must hold no `$` or `#`: integration response templates go through VTL.
 */
export function problemTemplate(
  code: ErrorCode,
  detail: string,
  options: ProblemTemplateOptions = {},
): string {
  if (detail !== GATEWAY_MESSAGE && /[$#]/.test(detail)) {
    throw new Error(
      `A fixed problem detail must not contain $ or # (VTL syntax), but received ${JSON.stringify(detail)}`,
    );
  }
  const { status, title } = ERROR_CATALOGUE[code];
  const problem: Omit<Problem, 'status'> & { status?: number } = {
    type: problemType(code),
    title,
    ...(options.withStatus === false ? {} : { status }),
    detail: detail === GATEWAY_MESSAGE ? PLACEHOLDER : detail,
    code,
    requestId: REQUEST_ID,
  };
  return JSON.stringify(problem).replace(JSON.stringify(PLACEHOLDER), GATEWAY_MESSAGE);
}
