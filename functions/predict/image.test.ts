import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
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
    expect([result.width, result.height]).toEqual([224, 224]);
    const meta = await sharp(result.jpeg).metadata();
    expect([meta.format, meta.exif, meta.icc, meta.xmp, meta.orientation]).toEqual([
      'jpeg',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // GPS was in the upload; no EXIF at all (so no GPS) leaves.
    expect(result.jpeg.includes(Buffer.from('Exif'))).toBe(false);
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
    expect([result.width, result.height]).toEqual(expected);
  });

  it('is deterministic and honours JPEG_QUALITY', async () => {
    const a = await normaliseImage(loadImage('photo-2mp.jpg'), 'x', options());
    const b = await normaliseImage(loadImage('photo-2mp.jpg'), 'x', options());
    const low = await normaliseImage(
      loadImage('photo-2mp.jpg'),
      'x',
      options({ JPEG_QUALITY: '30' }),
    );
    expect(a.jpeg.equals(b.jpeg)).toBe(true);
    expect(low.jpeg.length).toBeLessThan(a.jpeg.length);
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
      name: 'heic.heic',
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      detail: 'x is HEIC/HEIF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF.',
    },
    {
      name: 'not-an-image.bin',
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      detail: 'x is unrecognised data; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF.',
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
