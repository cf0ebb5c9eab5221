/**
 * `application/x-npy` bodies: RGB pixels already at the model's input size,
 * as the gateway sends what `prepareInput` computed (float32, 0..255), or
 * as a client prepared them (float32 or uint8). One array of shape
 * (height, width, 3) is one image; (N, height, width, 3) is a batch of N.
 * Nothing is resampled: the values go straight to the tensor step.
 */
import { decodeNpy, type NpyArray, NpyFormatError } from '#shared/model-input/npy.ts';
import { InvocationError } from './errors.ts';

/** The input size of the model, pixels. */
export interface InputSize {
  readonly width: number;
  readonly height: number;
}

/** RGB pixels (float, 0..255, height x width x 3) of one image at the input size. */
export interface PixelImage {
  readonly name: string;
  readonly pixels: Float32Array;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `(${shape.join(', ')})`;
}

function decode(body: Uint8Array): NpyArray {
  try {
    return decodeNpy(body);
  } catch (error) {
    if (error instanceof NpyFormatError) {
      throw new InvocationError('badInput', error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads the images of an `.npy` body.
 * @throws InvocationError `badInput` (not an `.npy` array of float32 or
 * uint8, a shape other than the model's, a value that is not finite),
 * `tooLarge` (more than `maxBatchSize` images)
 */
export function readNpyImages(
  body: Uint8Array,
  size: InputSize,
  maxBatchSize: number,
): { readonly batch: boolean; readonly images: readonly PixelImage[] } {
  const { shape, data } = decode(body);
  const image = [size.height, size.width, 3];
  const batch = shape.length === 4;
  const count = batch ? (shape[0] as number) : 1;
  const tail = batch ? shape.slice(1) : shape;
  if ((shape.length !== 3 && !batch) || count < 1 || !tail.every((n, i) => n === image[i])) {
    throw new InvocationError(
      'badInput',
      `The .npy array has shape ${shapeText(shape)}; this model takes ${shapeText(image)} for one image or ${shapeText(['N', ...image])} for N images.`,
    );
  }
  if (count > maxBatchSize) {
    throw new InvocationError(
      'tooLarge',
      `The .npy array holds ${count} images, more than the limit of ${maxBatchSize}.`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new InvocationError(
        'badInput',
        `The .npy array holds ${data[i]} at index ${i}; pixels must be finite numbers (0..255).`,
      );
    }
  }
  const length = size.width * size.height * 3;
  return {
    batch,
    images: Array.from({ length: count }, (_, i) => ({
      name: batch ? `image ${i} of the .npy array` : 'The .npy array',
      pixels: data.subarray(i * length, (i + 1) * length),
    })),
  };
}
