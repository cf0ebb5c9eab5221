/**
 * The response bodies of the public API as zod schemas: the one contract the
 * OpenAPI document (./openapi.ts) is generated from, the contract test
 * validates responses with, and the handler's response types are inferred
 * from (./contract.ts, ./problem.ts import the types only, so the Lambda
 * does not load zod at cold start).
 */
import { z } from 'zod';
import { ALLOWED_IMAGE_FORMATS } from './contract.ts';
import { ERROR_CATALOGUE, ERROR_CODES, type ErrorCode } from './errors.ts';

export const ErrorCodeSchema = z
  .enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]])
  .meta({ id: 'ErrorCode', description: 'A stable error code: one meaning, one status.' });

const problemFields = {
  type: z
    .string()
    .meta({ description: 'A URN naming the code: urn:image-inference-gateway:error:CODE.' }),
  title: z.string().meta({ description: "The code's title (the same for every occurrence)." }),
  status: z.number().int().meta({ description: 'The HTTP status.' }),
  detail: z.string().meta({ description: 'What happened to this request, safe to show.' }),
  code: ErrorCodeSchema,
} as const;

/** RFC 9457 problem details plus the stable `code` and the request id (`application/problem+json`). */
export const ProblemSchema = z
  .strictObject({
    ...problemFields,
    requestId: z
      .string()
      .meta({ description: "Echoes X-Request-Id, or API Gateway's request id." }),
    part: z
      .string()
      .optional()
      .meta({ description: 'The upload part at fault, as field[index] (image[1]).' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details with a stable code.' });

/**
 * API Gateway's fallback for 4xx refusals (DEFAULT_4XX) keeps the status of
 * the refusal it stands in for, which its template cannot know: no `status`.
 */
export const RejectedProblemSchema = ProblemSchema.omit({ status: true })
  .extend({ code: z.literal('REQUEST_REJECTED') })
  .meta({ id: 'RejectedProblem', description: 'API Gateway refused the request (any 4xx).' });

/** The codes the catalogue gives `status`. */
export function codesWithStatus(status: number): ErrorCode[] {
  return ERROR_CODES.filter((code) => ERROR_CATALOGUE[code].status === status);
}

/** The problem of one status: `status` fixed, `code` one of that status's codes. */
export function problemSchemaFor(
  status: number,
  codes: readonly ErrorCode[] = codesWithStatus(status),
) {
  return ProblemSchema.extend({
    status: z.literal(status),
    code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
  });
}

/** A failed image in partial mode: the problem for that image alone. */
export const ImageProblemSchema = z
  .strictObject({ ...problemFields, part: z.string().meta({ description: 'field[index]' }) })
  .meta({ id: 'ImageProblem', description: 'Why this one image has no result.' });

export const PredictionSchema = z
  .strictObject({
    label: z.string(),
    score: z.number().meta({
      description: 'As the model gave it: a probability, 0..1, for a softmax classifier.',
    }),
  })
  .meta({ id: 'Prediction' });

const resultBase = {
  field: z.string().meta({ description: 'The multipart field the image came in (always image).' }),
  filename: z.string().nullable().meta({ description: "The client's file name (UTF-8), or null." }),
} as const;

export const ImageResultSchema = z
  .strictObject({
    ...resultBase,
    image: z
      .strictObject({
        format: z.enum(ALLOWED_IMAGE_FORMATS),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        orientation: z.number().int().min(1).max(8),
        bytes: z.number().int().positive(),
      })
      .meta({
        description:
          'The upload as received: format from its bytes, size as displayed (orientation applied).',
      }),
    sent: z
      .strictObject({
        contentType: z.string(),
        encoding: z.enum(['npy', 'png', 'jpeg']),
        profile: z.string(),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        bytes: z.number().int().positive(),
      })
      .meta({ description: 'What the model received.' }),
    predictions: z
      .array(PredictionSchema)
      .readonly()
      .optional()
      .meta({ description: 'When the model answered as a classifier: sorted by score.' }),
    output: z
      .unknown()
      .optional()
      .meta({ description: "The model's JSON as it answered, when it is not a classifier's." }),
    warnings: z.array(z.string()).readonly().optional().meta({
      description:
        'What the gateway tolerated or could not give: non-finite scores, fewer results than TOP_K.',
    }),
  })
  .meta({ id: 'ImageResult', description: 'What the model said about one image.' });

export const ImageErrorResultSchema = z
  .strictObject({ ...resultBase, error: ImageProblemSchema })
  .meta({ id: 'ImageErrorResult', description: 'Partial mode: an image that got no prediction.' });

export const PredictResponseSchema = z
  .strictObject({
    requestId: z.string(),
    endpoint: z.strictObject({ name: z.string(), variant: z.string().nullable() }),
    results: z.array(z.union([ImageResultSchema, ImageErrorResultSchema])).meta({
      description:
        'One per uploaded image, in upload order. ImageErrorResult only with ?partial=true.',
    }),
    timingsMs: z.strictObject({
      parse: z.number().nonnegative(),
      normalise: z.number().nonnegative(),
      inference: z.number().nonnegative(),
      total: z.number().nonnegative(),
    }),
  })
  .meta({ id: 'PredictResponse' });
