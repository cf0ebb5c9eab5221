import type { ImageErrorResult, ImageResult, PredictResponse } from '#shared/contract.ts';
import type { GatewayError } from '#shared/errors.ts';
import type { UploadedImage } from '#shared/multipart.ts';
import { toImageProblem, toProblem } from '#shared/problem.ts';
import type { NormalisedImage } from './image.ts';
import type { ModelOutput } from './output.ts';
import type { Payload } from './payload.ts';

export interface ImageOutcome {
  readonly upload: UploadedImage;
  readonly normalised: NormalisedImage;
  readonly payload: Payload;
  readonly output: ModelOutput;
  readonly variant: string | undefined;
}

/** Partial mode: an image that failed on its own (its error names its part). */
export interface ImageFailure {
  readonly upload: UploadedImage;
  readonly error: GatewayError;
}

function isFailure(outcome: ImageOutcome | ImageFailure): outcome is ImageFailure {
  return 'error' in outcome;
}

const ms = (value: number) => Math.round(value * 10) / 10;

/**
 * The success body: one result per uploaded image, in upload order; in
 * partial mode a failed image's result holds its problem.
 */
export function buildResponse(
  requestId: string,
  endpointName: string,
  profile: string,
  outcomes: readonly (ImageOutcome | ImageFailure)[],
  timingsMs: { parse: number; normalise: number; inference: number; total: number },
): PredictResponse {
  return {
    requestId,
    endpoint: {
      name: endpointName,
      variant:
        outcomes.find((outcome): outcome is ImageOutcome => !isFailure(outcome))?.variant ?? null,
    },
    results: outcomes.map((outcome): ImageResult | ImageErrorResult => {
      const { upload } = outcome;
      if (isFailure(outcome)) {
        return {
          field: upload.field,
          filename: upload.filename,
          error: toImageProblem(toProblem(outcome.error, requestId), upload.part),
        };
      }
      const { normalised, payload, output } = outcome;
      return {
        field: upload.field,
        filename: upload.filename,
        image: normalised.original,
        sent: {
          contentType: payload.contentType,
          encoding: normalised.input.encoding,
          profile,
          width: normalised.input.width,
          height: normalised.input.height,
          bytes: payload.body.length,
        },
        ...output,
      };
    }),
    timingsMs: {
      parse: ms(timingsMs.parse),
      normalise: ms(timingsMs.normalise),
      inference: ms(timingsMs.inference),
      total: ms(timingsMs.total),
    },
  };
}
