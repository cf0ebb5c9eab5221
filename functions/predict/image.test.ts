import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeNpy } from '#shared/model-input/npy.ts';
import { loadImage } from '../../fixtures/index.ts';
import { loadConfig } from './config.ts';
import { normaliseImage } from './image.ts';

const options = (env: Record<string, string> = {}) =>
  loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'x', ...env }).normalise;

describe('normaliseImage', () => {
  it('describes the upload as displayed and returns a metadata-free model input', async () => {
    const result = await normaliseImage(loadImage('orientation-6.jpg'), 'image[0]', options());
    expect(result.original).toEqual({
      format: 'jpeg',
      width: 96,
      height: 64,
      orientation: 6,
      bytes: loadImage('orientation-6.jpg').length,
    });
    expect(result.input).toMatchObject({
      contentType: 'application/x-npy',
      encoding: 'npy',
      width: 224,
      height: 224,
    });
    // A float32 (224, 224, 3) tensor after a 128-byte .npy header: nothing else.
    expect(result.input.body.length).toBe(128 + 224 * 224 * 3 * 4);
    expect(decodeNpy(result.input.body).shape).toEqual([224, 224, 3]);
  });

  it.each(['png', 'jpeg'] as const)('writes no metadata into a %s input', async (encoding) => {
    const result = await normaliseImage(
      loadImage('orientation-6.jpg'),
      'image[0]',
      options({ MODEL_INPUT_ENCODING: encoding }),
    );
    const meta = await sharp(result.input.body).metadata();
    expect([meta.format, meta.exif, meta.icc, meta.xmp, meta.orientation]).toEqual([
      encoding,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // GPS was in the upload; no EXIF at all (so no GPS) leaves.
    expect(result.input.body.includes(Buffer.from('Exif'))).toBe(false);
  });

  it('stretches the whole frame with align-corners bilinear, as nsfwjs does', async () => {
    // Left half red, right half blue: stretched, the edges stay pure, and the
    // middle column is the exact mix of the two pixels it falls between.
    const pixels = Buffer.alloc(448 * 100 * 3);
    for (let i = 0; i < 448 * 100; i++)
      pixels.set(i % 448 < 224 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const png = await sharp(pixels, { raw: { width: 448, height: 100, channels: 3 } })
      .png()
      .toBuffer();
    const { data } = decodeNpy((await normaliseImage(png, 'x', options())).input.body);
    const at = (x: number, y: number) => [
      ...data.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3),
    ];
    expect([at(0, 0), at(223, 223)]).toEqual([
      [255, 0, 0],
      [0, 0, 255],
    ]);
    // Column 112 samples source x = 112 * 447 / 223 = 224.502..., between 224 (blue) and 225 (blue).
    expect(at(112, 50)).toEqual([0, 0, 255]);
    // Column 111 samples 222.497...: between 222 and 223, both red.
    expect(at(111, 50)).toEqual([255, 0, 0]);
  });

  it.each([
    { fit: 'cover', size: [300, 200], expected: [300, 200] },
    { fit: 'contain', size: [300, 200], expected: [300, 200] },
    { fit: 'inside', size: [300, 300], expected: [300, 200] },
  ])('resizes with fit $fit to the configured size', async ({ fit, size, expected }) => {
    const result = await normaliseImage(
      loadImage('photo-2mp.jpg'),
      'image[0]',
      options({
        RESIZE_FIT: fit,
        MODEL_INPUT_WIDTH_PX: String(size[0]),
        MODEL_INPUT_HEIGHT_PX: String(size[1]),
      }),
    );
    expect([result.input.width, result.input.height]).toEqual(expected);
  });

  it('is deterministic and honours JPEG_QUALITY', async () => {
    const jpeg = options({ MODEL_INPUT_ENCODING: 'jpeg' });
    const a = await normaliseImage(loadImage('photo-2mp.jpg'), 'x', jpeg);
    const b = await normaliseImage(loadImage('photo-2mp.jpg'), 'x', jpeg);
    const low = await normaliseImage(
      loadImage('photo-2mp.jpg'),
      'x',
      options({ MODEL_INPUT_ENCODING: 'jpeg', JPEG_QUALITY: '30' }),
    );
    expect(a.input.body.equals(b.input.body)).toBe(true);
    expect(low.input.body.length).toBeLessThan(a.input.body.length);
  });

  it.each([
    {
      name: 'bomb.png',
      code: 'IMAGE_TOO_MANY_PIXELS',
      detail: 'x is 30000x30000 (900000000 pixels); the limit is 40000000 pixels.',
    },
    {
      name: 'truncated.jpg',
      code: 'IMAGE_UNDECODABLE',
      detail: 'x cannot be decoded as JPEG (corrupt or truncated).',
    },
    {
      // HEIC is allowed: a container with no image in it cannot be decoded.
      name: 'heic.heic',
      code: 'IMAGE_UNDECODABLE',
      detail: 'x cannot be decoded as HEIC/HEIF.',
    },
    {
      name: 'truncated.heic',
      code: 'IMAGE_UNDECODABLE',
      detail: 'x cannot be decoded as HEIC/HEIF (corrupt or truncated).',
    },
    {
      name: 'not-an-image.bin',
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      detail:
        'x is unrecognised data; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF.',
    },
  ] as const)('refuses $name with $code', async ({ name, code, detail }) => {
    await expect(normaliseImage(loadImage(name), 'x', options())).rejects.toMatchObject({
      code,
      detail,
    });
  });

  it('refuses a PNG whose header is corrupt with IMAGE_UNDECODABLE', async () => {
    const png = Buffer.from(loadImage('alpha.png'));
    png.fill(0, 12, 33); // wipe IHDR
    await expect(normaliseImage(png, 'x', options())).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
    });
  });
});
