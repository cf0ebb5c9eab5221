import type { ImageResult, PredictResponse } from '#shared/contract.ts';
import type { UploadedImage } from '#shared/multipart.ts';
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

const ms = (value: number) => Math.round(value * 10) / 10;

/** The success body: one result per uploaded image, in upload order. */
export function buildResponse(
  requestId: string,
  endpointName: string,
  profile: string,
  outcomes: readonly ImageOutcome[],
  timingsMs: { parse: number; normalise: number; inference: number; total: number },
): PredictResponse {
  return {
    requestId,
    endpoint: { name: endpointName, variant: outcomes[0]?.variant ?? null },
    results: outcomes.map(
      ({ upload, normalised, payload, output }): ImageResult => ({
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
      }),
    ),
    timingsMs: {
      parse: ms(timingsMs.parse),
      normalise: ms(timingsMs.normalise),
      inference: ms(timingsMs.inference),
      total: ms(timingsMs.total),
    },
  };
}
