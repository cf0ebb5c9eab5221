import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isEndpointName } from '#shared/aws-facts.ts';
import {
  ENDPOINT_NAME_STAGE_VARIABLE,
  PARTIAL_QUERY_PARAMETER,
  REQUEST_HEADERS,
} from '#shared/contract.ts';
import { buildCustomAttributes, forwardedFields } from '#shared/custom-attributes.ts';
import { GatewayError, isGatewayError } from '#shared/errors.ts';
import { parseMultipart, type UploadedImage } from '#shared/multipart.ts';
import { multipartBoundary } from '#shared/multipart-boundary.ts';
import { mapLimit } from './concurrency.ts';
import { type Config, loadConfig, type NormaliseOptions } from './config.ts';
import {
  type InspectedImage,
  inspectImage,
  type NormalisedImage,
  normaliseInspected,
} from './image.ts';
import { createRuntimeClient, deadlineFrom, invokeEndpoint, type RuntimeClient } from './invoke.ts';
import { logger, recordRequest } from './observability.ts';
import { corsHeaders, errorResult, type Headers, jsonResult } from './proxy-result.ts';
import { decodeBody, eventHeader, resolveRequestId } from './request.ts';
import { buildResponse, type ImageFailure, type ImageOutcome } from './response.ts';

/** What one container holds across invocations. */
interface Runtime {
  readonly config: Config;
  readonly client: RuntimeClient;
}

export type PredictHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

/** Names a part in messages: `image[0] (cat.jpg)`. */
function label(upload: UploadedImage): string {
  return upload.filename === null ? upload.part : `${upload.part} (${upload.filename})`;
}

/** Runs `step` and attributes any gateway error it throws to the upload part. */
async function forPart<T>(upload: UploadedImage, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw isGatewayError(error) ? error.withPart(upload.part) : error;
  }
}

/**
 * Partial mode keeps an error as one image's result when that image is at
 * fault: a refusal of the image itself (4xx), or the model failing on it or
 * answering something unusable about it. The endpoint failing, being busy
 * or late (and anything unexpected) still fails the request: retrying the
 * whole request is the remedy, with Retry-After when there is one.
 */
function isImageFault(error: unknown): error is GatewayError {
  return (
    isGatewayError(error) &&
    (error.status < 500 || error.code === 'MODEL_ERROR' || error.code === 'BAD_MODEL_OUTPUT')
  );
}

/**
 * Runs `step`; in partial mode (`failures` given) an image fault is
 * recorded at `index` and undefined returned instead of throwing.
 */
async function orFailure<T>(
  failures: (GatewayError | undefined)[] | undefined,
  index: number,
  step: () => Promise<T>,
): Promise<T | undefined> {
  if (failures === undefined) return step();
  try {
    return await step();
  } catch (error) {
    if (!isImageFault(error)) throw error;
    failures[index] = error;
    return undefined;
  }
}

/** One image of a partial answer failed: logged as a refused request would be. */
function logImageFailure(error: GatewayError): void {
  const details = { code: error.code, status: error.status, part: error.part };
  if (error.status >= 500) logger.error('image failed', { ...details, error });
  else logger.info('image refused', { ...details, detail: error.detail });
}

/**
 * Checks every upload's format and header before any is decoded, and the
 * request's pixels together against MAX_REQUEST_PIXELS: a request over a
 * limit costs no decoding at all. With `failures` (partial mode) an image's
 * own fault is recorded at its index instead of thrown, and its pixels do
 * not count.
 */
async function inspectAll(
  images: readonly UploadedImage[],
  options: NormaliseOptions,
  failures?: (GatewayError | undefined)[],
): Promise<(InspectedImage | undefined)[]> {
  const inspected: (InspectedImage | undefined)[] = [];
  let pixels = 0;
  for (const [index, image] of images.entries()) {
    try {
      const checked = await forPart(image, () => inspectImage(image.bytes, label(image), options));
      if (pixels + checked.pixels > options.maxRequestPixels) {
        throw new GatewayError(
          'IMAGE_TOO_MANY_PIXELS',
          `${checked.label} brings the request to ${pixels + checked.pixels} pixels; the limit is ${options.maxRequestPixels} pixels per request.`,
          { part: image.part },
        );
      }
      pixels += checked.pixels;
      inspected.push(checked);
    } catch (error) {
      if (failures === undefined || !isImageFault(error)) throw error;
      failures[index] = error;
      inspected.push(undefined);
    }
  }
  return inspected;
}

/**
 * Builds the predict handler around a runtime. `setup` throws when the
 * configuration is invalid; that becomes a 500 for every request (and a log
 * line) instead of a crashed init that API Gateway would turn into a bare 502.
 */
export function createHandler(setup: () => Runtime): PredictHandler {
  return async (event, context) => {
    const started = performance.now();
    const timings = { parse: 0, normalise: 0, inference: 0, total: 0 };
    const gatewayRequestId = event.requestContext?.requestId ?? context.awsRequestId;
    let requestId = gatewayRequestId;
    let headers: Headers = { Vary: 'Origin' };
    let bytesIn = 0;
    let bytesOut = 0;
    let images = 0;
    try {
      const { config, client } = setup();
      headers = corsHeaders(eventHeader(event, 'origin'), config.corsAllowOrigins);
      requestId = resolveRequestId(eventHeader(event, REQUEST_HEADERS.requestId), gatewayRequestId);
      logger.setCorrelationId(requestId);
      const deadline = deadlineFrom(context.getRemainingTimeInMillis(), config.deadlineMarginMs);
      const endpointName =
        event.stageVariables?.[ENDPOINT_NAME_STAGE_VARIABLE] ?? config.endpointName;
      if (!isEndpointName(endpointName)) {
        throw new GatewayError('INTERNAL_ERROR', 'The stage is misconfigured.', {
          cause: new Error(
            `stage variable endpointName ${JSON.stringify(endpointName)} is invalid`,
          ),
        });
      }

      // Parse: everything is checked before any image work or model call.
      let mark = performance.now();
      // The media type first: a body of another type is refused for what it
      // is (415), not for the bytes API Gateway mangled because of it.
      const boundary = multipartBoundary(eventHeader(event, 'content-type'));
      const body = decodeBody(event);
      bytesIn = body.length;
      const upload = await parseMultipart(body, boundary, config.limits);
      images = upload.images.length;
      // Only the fields the deployer allowlisted reach the container.
      const fields = forwardedFields(upload.fields, config.forwardFields);
      const customAttributes = buildCustomAttributes(
        eventHeader(event, REQUEST_HEADERS.clientId),
        fields,
      );
      timings.parse = performance.now() - mark;

      mark = performance.now();
      // Partial mode: an image's own failure becomes its result, not the request's.
      const failures: (GatewayError | undefined)[] | undefined =
        event.queryStringParameters?.[PARTIAL_QUERY_PARAMETER] === 'true' ? [] : undefined;
      const inspected = await inspectAll(upload.images, config.normalise, failures);
      // Normalise one at a time: peak memory is one decode buffer, whatever
      // the number of images (libvips already uses every core for each).
      // None starts after the deadline, and libvips stops one that runs past
      // it: no image work goes on once the 504 is answered.
      const normalised: (NormalisedImage | undefined)[] = [];
      for (const [index, image] of upload.images.entries()) {
        const checked = inspected[index];
        normalised.push(
          checked === undefined
            ? undefined
            : await orFailure(failures, index, () =>
                forPart(image, () => normaliseInspected(checked, config.normalise, deadline)),
              ),
        );
      }
      timings.normalise = performance.now() - mark;

      // Invoke: one call per image, bounded concurrency, results in upload order.
      mark = performance.now();
      const outcomes = await mapLimit(
        upload.images,
        config.invokeConcurrency,
        (image, index, cancel): Promise<ImageOutcome | ImageFailure> => {
          const prepared = normalised[index];
          if (prepared === undefined) {
            return Promise.resolve({ upload: image, error: failures?.[index] as GatewayError });
          }
          const outcome = forPart(image, async (): Promise<ImageOutcome> => {
            const payload = config.protocol.encode(prepared.input, fields, image.filename);
            bytesOut += payload.body.length;
            const result = await invokeEndpoint(
              client,
              {
                endpointName,
                targetVariant: config.targetVariant,
                payload,
                customAttributes,
                inferenceId: requestId,
              },
              deadline,
              {
                maxAttempts: config.invokeMaxAttempts,
                retryAfterSeconds: config.retryAfterSeconds,
              },
              cancel,
            );
            const output = config.protocol.decode(result.body, result.contentType);
            return {
              upload: image,
              normalised: prepared,
              payload,
              output,
              variant: result.variant,
            };
          });
          return failures === undefined
            ? outcome
            : outcome.catch((error: unknown) => {
                if (!isImageFault(error)) throw error;
                failures[index] = error;
                return { upload: image, error };
              });
        },
      );
      timings.inference = performance.now() - mark;
      timings.total = performance.now() - started;

      recordRequest({ timingsMs: timings, bytesIn, bytesOut, images, errorCode: undefined });
      logger.info('predicted', { images, bytesIn, bytesOut, endpointName, timingsMs: timings });
      for (const error of failures ?? []) {
        if (error !== undefined) logImageFailure(error);
      }
      return jsonResult(
        200,
        buildResponse(requestId, endpointName, config.normalise.profile.name, outcomes, timings),
        {
          ...headers,
          'X-Request-Id': requestId,
        },
      );
    } catch (error) {
      timings.total = performance.now() - started;
      const { result, problem } = errorResult(error, requestId, {
        ...headers,
        'X-Request-Id': requestId,
      });
      const details = { code: problem.code, status: problem.status, part: problem.part, bytesIn };
      if (problem.status >= 500) {
        logger.error('request failed', { ...details, error });
      } else {
        logger.info('request refused', { ...details, detail: problem.detail });
      }
      recordRequest({ timingsMs: timings, bytesIn, bytesOut, images, errorCode: problem.code });
      return result;
    }
  };
}

/**
 * The container's runtime, built on its first request and kept: importing
 * the module computes nothing, so tools that import it (tests, benchmarks)
 * need no Lambda environment. An invalid configuration is logged once and
 * answered as a 500 on every request.
 */
function coldStart(): () => Runtime {
  let load: () => Runtime = () => {
    try {
      const runtime: Runtime = { config: loadConfig(), client: createRuntimeClient() };
      load = () => runtime;
      return runtime;
    } catch (error) {
      logger.error('invalid configuration', { error });
      load = () => {
        throw error;
      };
      throw error;
    }
  };
  return () => load();
}

export const handler: PredictHandler = createHandler(coldStart());
