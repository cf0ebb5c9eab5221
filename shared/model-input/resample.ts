/**
 * Resampling of 8-bit interleaved RGB into float RGB (0..255), written out
 * rather than delegated to libvips, because the point is to reproduce a
 * framework's own resize exactly: each kernel follows the published
 * algorithm of the library named in profile.ts, and is tested against
 * TensorFlow.js where that library is available here.
 *
 * Separable: a horizontal pass over the rows the vertical pass reads, then
 * the vertical pass, both with precomputed taps. Work is proportional to
 * the output (plus the rows read), not to the full-resolution input.
 */
import type { ResampleKernel } from './profile.ts';

/** Interleaved 8-bit RGB pixels. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A rectangle of an image, in pixels. */
export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Per output coordinate: the first source index and the weights from there on. */
interface Taps {
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** `maxTaps` weights per output coordinate. */
  readonly weights: Float64Array;
  readonly maxTaps: number;
}

function bilinearTaps(inSize: number, outSize: number, alignCorners: boolean): Taps {
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * 2);
  // TF's resize_bilinear: align_corners maps corner pixel centres onto each
  // other; otherwise half-pixel centres, clamped at the edges.
  const scale = alignCorners ? (outSize > 1 ? (inSize - 1) / (outSize - 1) : 0) : inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const source = alignCorners ? i * scale : Math.max(0, (i + 0.5) * scale - 0.5);
    const low = Math.min(Math.floor(source), inSize - 1);
    const high = Math.min(low + 1, inSize - 1);
    const fraction = source - low;
    start[i] = low;
    count[i] = high === low ? 1 : 2;
    weights[i * 2] = high === low ? 1 : 1 - fraction;
    weights[i * 2 + 1] = high === low ? 0 : fraction;
  }
  return { start, count, weights, maxTaps: 2 };
}

/**
 * Pillow's `ImagingResample` with the BILINEAR (triangle) filter: support
 * 1 widened by the scale when downscaling, weights normalised to sum to 1.
 */
function antialiasTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const low = Math.max(Math.trunc(centre - support + 0.5), 0);
    const high = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    const n = high - low;
    for (let k = 0; k < n; k++) {
      const x = (k + low - centre + 0.5) / filterScale;
      const w = Math.max(0, 1 - Math.abs(x));
      weights[i * maxTaps + k] = w;
      total += w;
    }
    for (let k = 0; k < n; k++) {
      weights[i * maxTaps + k] = total === 0 ? 0 : (weights[i * maxTaps + k] as number) / total;
    }
    start[i] = low;
    count[i] = n;
  }
  return { start, count, weights, maxTaps };
}

/**
 * The horizontal pass's buffer, kept between calls: it is as large as the
 * rows one output reads (about 1.2 MB for 224 x 224 from a large photo),
 * and a fresh allocation of that size costs a page fault per 4 KiB.
 */
let kept = new Float32Array(0);
function scratch(length: number): Float32Array {
  if (kept.length < length) kept = new Float32Array(length);
  return kept.subarray(0, length);
}

function taps(kernel: ResampleKernel, inSize: number, outSize: number): Taps {
  if (kernel === 'bilinear-antialias') return antialiasTaps(inSize, outSize);
  return bilinearTaps(inSize, outSize, kernel === 'bilinear-align-corners');
}

/**
 * Resamples all of `source` to `scaledWidth` x `scaledHeight` and returns
 * `window` of that scaled image (default: all of it), as float RGB in
 * 0..255. Only the window is computed, so a centre crop costs no more than
 * its own pixels. A scale of 1 copies pixels as they are, whatever the kernel.
 */
export function resampleRgb(
  source: RgbImage,
  scaledWidth: number,
  scaledHeight: number,
  kernel: ResampleKernel,
  window: Region = { left: 0, top: 0, width: scaledWidth, height: scaledHeight },
  out: Float32Array = new Float32Array(window.width * window.height * 3),
): Float32Array {
  const outWidth = window.width;
  const outHeight = window.height;
  if (out.length !== outWidth * outHeight * 3) {
    throw new RangeError(
      `out holds ${out.length} values, the window needs ${outWidth * outHeight * 3}`,
    );
  }
  const { data, width: stride } = source;
  if (source.width === scaledWidth && source.height === scaledHeight) {
    for (let y = 0; y < outHeight; y++) {
      const from = ((window.top + y) * stride + window.left) * 3;
      const to = y * outWidth * 3;
      for (let i = 0; i < outWidth * 3; i++) out[to + i] = data[from + i] as number;
    }
    return out;
  }
  const across = taps(kernel, source.width, scaledWidth);
  const down = taps(kernel, source.height, scaledHeight);

  // Horizontal pass, only over the source rows the vertical pass reads.
  // Each output row reads a run of consecutive source rows, and the runs
  // start in order, so the rows read form a sorted list built in one sweep
  // (no array as tall as the source: a 1 x 40,000,000 image is valid).
  const rowsRead: number[] = [];
  const firstSlot = new Int32Array(outHeight);
  for (let y = 0; y < outHeight; y++) {
    const start = down.start[window.top + y] as number;
    const last = rowsRead.length === 0 ? -1 : (rowsRead[rowsRead.length - 1] as number);
    // The rows from `start` to `last` are the list's tail, already there.
    firstSlot[y] = start > last ? rowsRead.length : rowsRead.length - 1 - (last - start);
    for (let k = 0; k < (down.count[window.top + y] as number); k++) {
      if (start + k > last) rowsRead.push(start + k);
    }
  }
  const line = outWidth * 3;
  const horizontal = scratch(rowsRead.length * line);
  for (let slot = 0; slot < rowsRead.length; slot++) {
    const row = rowsRead[slot] as number;
    const base = row * stride * 3;
    const target = slot * line;
    for (let x = 0; x < outWidth; x++) {
      const sx = window.left + x;
      let r = 0;
      let g = 0;
      let b = 0;
      const first = across.start[sx] as number;
      const n = across.count[sx] as number;
      const w0 = sx * across.maxTaps;
      for (let k = 0; k < n; k++) {
        const w = across.weights[w0 + k] as number;
        const p = base + (first + k) * 3;
        r += w * (data[p] as number);
        g += w * (data[p + 1] as number);
        b += w * (data[p + 2] as number);
      }
      const o = target + x * 3;
      horizontal[o] = r;
      horizontal[o + 1] = g;
      horizontal[o + 2] = b;
    }
  }

  // Vertical pass, accumulated in double precision.
  const column = new Float64Array(line);
  for (let y = 0; y < outHeight; y++) {
    const sy = window.top + y;
    const n = down.count[sy] as number;
    const w0 = sy * down.maxTaps;
    column.fill(0);
    for (let k = 0; k < n; k++) {
      const w = down.weights[w0 + k] as number;
      const from = ((firstSlot[y] as number) + k) * line;
      for (let i = 0; i < line; i++)
        column[i] = (column[i] as number) + w * (horizontal[from + i] as number);
    }
    out.set(column, y * line);
  }
  return out;
}
