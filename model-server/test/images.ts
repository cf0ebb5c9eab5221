/**
 * Images generated for the model server's tests: deterministic, made with
 * sharp, no files. Each is named for what it shows.
 */
import sharp from 'sharp';

export const SIDE_PX = 224;

/** Interleaved RGB pixels of a `width` x `height` image computed per pixel. */
export function rgbPixels(
  width: number,
  height: number,
  pixel: (x: number, y: number) => readonly [number, number, number],
): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const i = (y * width + x) * 3;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  return data;
}

/** A seeded pseudo-random byte stream (LCG), so "noise" is the same on every run. */
export function noiseBytes(length: number, seed = 1): Buffer {
  const data = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    data[i] = (state >> 16) & 255;
  }
  return data;
}

function raw(data: Buffer, width: number, height: number) {
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Pixel sources of the generated images, at `width` x `height` (square by default). */
export const PATTERNS = {
  grey: (width: number, height = width) => rgbPixels(width, height, () => [128, 128, 128]),
  white: (width: number, height = width) => rgbPixels(width, height, () => [255, 255, 255]),
  gradient: (width: number, height = width) =>
    rgbPixels(width, height, (x, y) => [
      Math.round((x / (width - 1)) * 255),
      Math.round((y / (height - 1)) * 255),
      Math.round(((x / (width - 1) + y / (height - 1)) / 2) * 255),
    ]),
  checkerboard: (width: number, height = width) =>
    rgbPixels(width, height, (x, y) =>
      (Math.floor(x / 28) + Math.floor(y / 28)) % 2 === 0 ? [20, 20, 20] : [235, 235, 235],
    ),
  noise: (width: number, height = width) => noiseBytes(width * height * 3),
  /**
   * Photo-like: smooth light and shade with a few hard edges and some grain,
   * so every resampling kernel gives a visibly different result.
   */
  photo: (width: number, height = width) => {
    const grain = noiseBytes(width * height, 7);
    return rgbPixels(width, height, (x, y) => {
      const u = x / width;
      const v = y / height;
      const disc = (u - 0.62) ** 2 + (v - 0.4) ** 2 < 0.05;
      const stripe = Math.floor(u * 9) % 3 === 0 && v > 0.7;
      const n = ((grain[y * width + x] as number) - 128) / 16;
      const clamp = (c: number) => Math.max(0, Math.min(255, Math.round(c + n)));
      if (disc) return [clamp(230 - 60 * v), clamp(180 - 80 * u), clamp(60)];
      if (stripe) return [clamp(40), clamp(60 + 100 * u), clamp(90)];
      return [clamp(90 + 120 * v), clamp(140 + 60 * u * v), clamp(200 - 120 * v)];
    });
  },
} as const;

export type PatternName = keyof typeof PATTERNS;

export function jpeg(pattern: PatternName, width = SIDE_PX, height = width): Promise<Buffer> {
  return raw(PATTERNS[pattern](width, height), width, height).jpeg({ quality: 95 }).toBuffer();
}

export function png(pattern: PatternName, width = SIDE_PX, height = width): Promise<Buffer> {
  return raw(PATTERNS[pattern](width, height), width, height).png().toBuffer();
}

export function webp(pattern: PatternName, width = SIDE_PX, height = width): Promise<Buffer> {
  return raw(PATTERNS[pattern](width, height), width, height).webp({ lossless: true }).toBuffer();
}

/** A multipart/form-data body with the given files in the `image` field. */
export function multipartBody(
  files: readonly Buffer[],
  boundary = 'model-server-test-boundary',
): { body: Buffer; contentType: string } {
  const parts = files.flatMap((file, index) => [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    file,
    Buffer.from('\r\n'),
  ]);
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
