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

/** Pixel sources of the generated images, at `side` x `side`. */
export const PATTERNS = {
  grey: (side: number) => rgbPixels(side, side, () => [128, 128, 128]),
  white: (side: number) => rgbPixels(side, side, () => [255, 255, 255]),
  gradient: (side: number) =>
    rgbPixels(side, side, (x, y) => [
      Math.round((x / (side - 1)) * 255),
      Math.round((y / (side - 1)) * 255),
      Math.round(((x + y) / (2 * (side - 1))) * 255),
    ]),
  checkerboard: (side: number) =>
    rgbPixels(side, side, (x, y) =>
      (Math.floor(x / 28) + Math.floor(y / 28)) % 2 === 0 ? [20, 20, 20] : [235, 235, 235],
    ),
  noise: (side: number) => noiseBytes(side * side * 3),
} as const;

export type PatternName = keyof typeof PATTERNS;

export function jpeg(pattern: PatternName, side = SIDE_PX): Promise<Buffer> {
  return raw(PATTERNS[pattern](side), side, side).jpeg({ quality: 95 }).toBuffer();
}

export function png(pattern: PatternName, side = SIDE_PX): Promise<Buffer> {
  return raw(PATTERNS[pattern](side), side, side).png().toBuffer();
}

export function webp(pattern: PatternName, side = SIDE_PX): Promise<Buffer> {
  return raw(PATTERNS[pattern](side), side, side).webp({ lossless: true }).toBuffer();
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
