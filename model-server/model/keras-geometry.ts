/**
 * Reading Keras layer settings for spatial layers (integer pairs, the
 * channels-last check) and the arithmetic of padding and output sizes,
 * shared by the convolution and pooling converters.
 */
import type { Value } from './graph-builder.ts';
import { ConversionError, type KerasLayer } from './keras-topology.ts';

/** An integer or a pair of integers (`kernel_size`, `strides`, ...) as a pair. */
export function pair(value: unknown, what: string, layer: KerasLayer): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isInteger(v))
  ) {
    return [value[0] as number, value[1] as number];
  }
  throw new ConversionError(`${layer.name}: ${what} must be an integer pair, got ${String(value)}`);
}

/** The [C, H, W] of a 4-D value (batch aside). */
export function spatial(value: Value, layer: KerasLayer): [number, number, number] {
  const [c, h, w] = value.shape;
  if (value.shape.length !== 3 || c === undefined || h === undefined || w === undefined) {
    throw new ConversionError(`${layer.name} needs a 4-D input, got [${value.shape.join(', ')}]`);
  }
  return [c, h, w];
}

/** The converter works in NCHW from a channels-last (NHWC) Keras model. */
export function requireChannelsLast(layer: KerasLayer): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== 'channels_last') {
    throw new ConversionError(`${layer.name}: data_format ${String(format)} is not supported`);
  }
}

/**
 * Padding of one spatial axis for Keras `padding`: "valid" pads nothing,
 * "same" pads like TensorFlow (the odd pixel goes at the end).
 */
export function axisPads(
  padding: unknown,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  layer: KerasLayer,
): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding !== 'same') {
    throw new ConversionError(`${layer.name}: padding ${String(padding)} is not supported`);
  }
  const extent = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + extent - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** Output length of one spatial axis after padding, kernel (with dilation `d`) and stride. */
export function outputSize(
  size: number,
  pads: [number, number],
  kernel: number,
  stride: number,
  d = 1,
): number {
  return Math.floor((size + pads[0] + pads[1] - ((kernel - 1) * d + 1)) / stride) + 1;
}
