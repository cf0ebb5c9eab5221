import { INFERENCE_ID_PATTERN, SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS } from '#shared/aws-facts.ts';
import { REQUEST_HEADERS } from '#shared/contract.ts';
import type { ErrorCode } from '#shared/errors.ts';
import {
  clientIdTooLongDetail,
  INVALID_REQUEST_ID_DETAIL,
  MODEL_ERROR_DETAIL,
  MODEL_MESSAGE_MAX_CHARS,
} from '#shared/invoke-failures.ts';
import { problemTemplate } from './problem-template.ts';

/**
 * The passthrough's integration response templates that decide with VTL
 * (API Gateway developer guide, "Variables for data transformations" and
 * "Override your API's request and response parameters and status codes"):
 * an integration response is selected by SageMaker's status alone, but its
 * template can read the method request's headers (`$input.params`, as CDK's
 * own multi-origin CORS template reads `Origin`), the error body
 * (`$input.path`) and override the status (`$context.responseOverride.status`).
 * It cannot read the integration response's headers, so SageMaker's
 * `x-amzn-errortype` stays out of reach.
 *
 * Why X-Request-Id and X-Client-Id are checked here, in SageMaker's 400
 * answer, rather than before the call as `/predict` does: what API Gateway
 * offers before an AWS integration cannot do it without breaking the route.
 * - A request validator only checks that a parameter is present.
 * - A request mapping template could test the headers, but then it is the
 *   body SageMaker gets: binary bodies pass through unchanged only when no
 *   template applies ("Content type conversions in API Gateway"), and
 *   `$context.responseOverride` works only in response templates.
 * - A Lambda REQUEST authorizer puts a Lambda back in the path this route
 *   exists to avoid, and can only answer through the ACCESS_DENIED or
 *   UNAUTHORIZED gateway responses, one status each for the whole API.
 * - AWS WAF custom responses are static (no request id) and a web ACL is
 *   billed monthly.
 * SageMaker itself refuses an InferenceId or CustomAttributes that break its
 * constraints with ValidationError (SageMaker API reference, InvokeEndpoint)
 * before the model sees them, so the 400 template turns that refusal into
 * `/predict`'s answer. The difference left: SageMaker accepts a non-ASCII
 * first character in InferenceId, which `/predict` refuses.
 *
 * Each template is one line: no whitespace between directives, so the body
 * is exactly the problem JSON whatever Velocity does with line breaks.
 */

const PLACEHOLDER = 'DETAIL-PLACEHOLDER';

/** `${name}`: a VTL reference in formal notation, safe next to any text. */
function ref(name: string): string {
  return `\${${name}}`;
}

/**
 * The problem body for `code` with a detail holding VTL references:
 * `detail` is a sentence whose `${name}` parts are left for VTL, so its
 * fixed text must hold no other `$` or `#`.
 */
function problemWithReferences(code: ErrorCode, detail: string): string {
  const fixed = detail.replace(/\$\{[A-Za-z]+\}/g, '');
  if (/[$#]/.test(fixed)) {
    throw new Error(
      `A template's detail may hold only \${name} references, but received ${JSON.stringify(detail)}`,
    );
  }
  return problemTemplate(code, PLACEHOLDER).replace(
    JSON.stringify(PLACEHOLDER),
    JSON.stringify(detail),
  );
}

/** Sets the method response status, once (overrides are final). */
function overrideStatus(status: number): string {
  return `#set($context.responseOverride.status = ${status})`;
}

/** The statuses a template of this file can override to, read back from it. */
export function overriddenStatuses(template: string): number[] {
  return [...template.matchAll(/#set\(\$context\.responseOverride\.status = (\d{3})\)/g)].map(
    (match) => Number(match[1]),
  );
}

/** `x-client-id` -> `X-Client-Id`: how the headers are spelled in mappings and docs. */
export function canonical(header: string): string {
  return header.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
}

/**
 * `$name` := the method request header `header`. `$input.params(x)` is
 * tried with the canonical spelling, then in lower case (as CDK's
 * multi-origin CORS template does for `Origin`), because API Gateway does
 * not document whether the lookup ignores case. Absent, `$name` is empty
 * (or null: `.length()` of either is not above 0).
 */
function readHeader(name: string, header: string): string {
  return (
    `#set($${name} = $input.params('${canonical(header)}'))` +
    `#if(!($${name}.length() > 0))#set($${name} = $input.params('${header.toLowerCase()}'))#{end}`
  );
}

/**
 * The 400 response: SageMaker's ValidationError, which is also what it
 * answers an X-Request-Id or X-Client-Id it refuses. The template checks
 * both headers first, as `/predict` does before invoking, and answers 400
 * INVALID_REQUEST_ID or CUSTOM_ATTRIBUTES_TOO_LONG; otherwise `fallback`
 * (the status's answer from the failure table).
 */
export function requestHeaderChecksTemplate(fallback: string): string {
  return [
    readHeader('requestId', REQUEST_HEADERS.requestId),
    readHeader('clientId', REQUEST_HEADERS.clientId),
    `#if($requestId.length() > 0 && !$requestId.matches('${INFERENCE_ID_PATTERN}'))`,
    overrideStatus(400),
    problemTemplate('INVALID_REQUEST_ID', INVALID_REQUEST_ID_DETAIL),
    `#elseif($clientId.length() > ${SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS})`,
    overrideStatus(400),
    '#set($clientIdLength = $clientId.length())',
    problemWithReferences(
      'CUSTOM_ATTRIBUTES_TOO_LONG',
      clientIdTooLongDetail(ref('clientIdLength')),
    ),
    '#{else}',
    fallback,
    '#{end}',
  ].join('');
}

/**
 * The 424 response (ModelError): the detail `modelErrorDetail` would give
 * for the body's `OriginalStatusCode` and `OriginalMessage`. The message is
 * escaped for JSON as the developer guide advises for `$util.escapeJavaScript`
 * (which escapes `'` as `\'`, invalid in JSON, so that is undone).
 */
export function modelErrorTemplate(): string {
  return [
    "#set($status = $input.path('$.OriginalStatusCode'))",
    "#set($message = $input.path('$.OriginalMessage'))",
    `#if($message.length() > ${MODEL_MESSAGE_MAX_CHARS})#set($message = $message.substring(0, ${MODEL_MESSAGE_MAX_CHARS}))#{end}`,
    '#if($status >= 400 && $status <= 499 && $message.length() > 0)',
    String.raw`#set($quoted = $util.escapeJavaScript($message).replaceAll("\\'","'"))`,
    problemWithReferences(
      'MODEL_ERROR',
      MODEL_ERROR_DETAIL.clientError(ref('status'), ref('quoted')),
    ),
    '#elseif($status >= 0)',
    problemWithReferences('MODEL_ERROR', MODEL_ERROR_DETAIL.otherStatus(ref('status'))),
    '#{else}',
    problemTemplate('MODEL_ERROR', MODEL_ERROR_DETAIL.noStatus),
    '#{end}',
  ].join('');
}
