import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { isEndpointName } from '#shared/aws-facts.ts';
import { ENDPOINT_NAME_STAGE_VARIABLE, REQUEST_HEADERS } from '#shared/contract.ts';
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
import { buildResponse, type ImageOutcome } from './response.ts';

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
 * Checks every upload's format and header before any is decoded, and the
 * request's pixels together against MAX_REQUEST_PIXELS: a request over a
 * limit costs no decoding at all.
 */
async function inspectAll(
  images: readonly UploadedImage[],
  options: NormaliseOptions,
): Promise<InspectedImage[]> {
  const inspected: InspectedImage[] = [];
  let pixels = 0;
  for (const image of images) {
    const checked = await forPart(image, () => inspectImage(image.bytes, label(image), options));
    pixels += checked.pixels;
    if (pixels > options.maxRequestPixels) {
      throw new GatewayError(
        'IMAGE_TOO_MANY_PIXELS',
        `${checked.label} brings the request to ${pixels} pixels; the limit is ${options.maxRequestPixels} pixels per request.`,
        { part: image.part },
      );
    }
    inspected.push(checked);
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
      const inspected = await inspectAll(upload.images, config.normalise);
      // Normalise one at a time: peak memory is one decode buffer, whatever
      // the number of images (libvips already uses every core for each).
      // None starts after the deadline, and libvips stops one that runs past
      // it: no image work goes on once the 504 is answered.
      const normalised: NormalisedImage[] = [];
      for (const [index, image] of upload.images.entries()) {
        normalised.push(
          await forPart(image, () =>
            normaliseInspected(inspected[index] as InspectedImage, config.normalise, deadline),
          ),
        );
      }
      timings.normalise = performance.now() - mark;

      // Invoke: one call per image, bounded concurrency, results in upload order.
      mark = performance.now();
      const outcomes = await mapLimit(
        upload.images,
        config.invokeConcurrency,
        (image, index, cancel): Promise<ImageOutcome> =>
          forPart(image, async () => {
            const prepared = normalised[index] as NormalisedImage;
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
          }),
      );
      timings.inference = performance.now() - mark;
      timings.total = performance.now() - started;

      recordRequest({ timingsMs: timings, bytesIn, bytesOut, images, errorCode: undefined });
      logger.info('predicted', { images, bytesIn, bytesOut, endpointName, timingsMs: timings });
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

/** Loaded once per container; an invalid configuration is logged at cold start. */
function coldStart(): () => Runtime {
  try {
    const runtime: Runtime = { config: loadConfig(), client: createRuntimeClient() };
    return () => runtime;
  } catch (error) {
    logger.error('invalid configuration', { error });
    return () => {
      throw error;
    };
  }
}

export const handler: PredictHandler = createHandler(coldStart());
