import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../fixtures/index.ts';
import { decodeRgb, encodeInput, prepareInput, shrinkFactor } from './prepare.ts';
import { NSFWJS_MOBILENET_V2_PROFILE } from './profile.ts';

const box = { width: 224, height: 224 };

describe('shrinkFactor', () => {
  it.each([
    { size: [1732, 1155], factor: 2 },
    { size: [4032, 3024], factor: 4 },
    { size: [8000, 6000], factor: 8 },
    { size: [20000, 20000], factor: 8 },
    { size: [800, 800], factor: 1 },
    { size: [4000, 400], factor: 1 },
  ])('$size -> $factor', ({ size, factor }) => {
    expect(shrinkFactor(size[0] as number, size[1] as number, box)).toBe(factor);
  });
});

describe('decodeRgb', () => {
  it('decodes at full resolution unless asked to shrink', async () => {
    const full = await decodeRgb(sharp(loadImage('photo-2mp.jpg')), '#ffffff');
    expect([full.width, full.height, full.data.length]).toEqual([1732, 1155, 1732 * 1155 * 3]);
  });

  it('shrinks a JPEG while decoding, to at least twice the target', async () => {
    const shrunk = await decodeRgb(sharp(loadImage('photo-2mp.jpg')), '#ffffff', box);
    expect([shrunk.width, shrunk.height]).toEqual([866, 578]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'applies EXIF orientation %i as libvips autorot does, after the conversion to 8-bit RGB',
    async (orientation) => {
      const jpeg = loadImage(`orientation-${orientation}.jpg` as 'orientation-1.jpg');
      const rgba16 = await sharp(jpeg).ensureAlpha(0.5).toColourspace('rgb16').png().toBuffer();
      const tagged = await sharp(rgba16).withMetadata({ orientation }).png().toBuffer();
      for (const file of [jpeg, tagged]) {
        const expected = await sharp(file)
          .autoOrient()
          .toColourspace('srgb')
          .flatten({ background: '#336699' })
          .removeAlpha()
          .raw({ depth: 'uchar' })
          .toBuffer({ resolveWithObject: true });
        const decoded = await decodeRgb(sharp(file), '#336699');
        expect([decoded.width, decoded.height]).toEqual([
          expected.info.width,
          expected.info.height,
        ]);
        expect(Buffer.from(decoded.data).equals(expected.data)).toBe(true);
      }
    },
  );

  it('shrinks a sideways JPEG to the same pixels as before orienting', async () => {
    const big = await sharp(loadImage('photo-2mp.jpg'))
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const shrunk = await decodeRgb(sharp(big), '#ffffff', box);
    const expected = await sharp(big)
      .autoOrient()
      .resize(578, 866, { fit: 'fill', kernel: 'nearest', fastShrinkOnLoad: true })
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    expect([shrunk.width, shrunk.height]).toEqual([578, 866]);
    expect(Buffer.from(shrunk.data).equals(expected)).toBe(true);
  });

  it('does not shrink formats whose decoder cannot', async () => {
    const png = await sharp(loadImage('photo-2mp.jpg')).png().toBuffer();
    const decoded = await decodeRgb(sharp(png), '#ffffff', box);
    expect([decoded.width, decoded.height]).toEqual([1732, 1155]);
  });
});

describe('prepareInput and encodeInput', () => {
  it('pads contain onto the background colour', () => {
    const rgb = { data: new Uint8Array(4 * 2 * 3).fill(10), width: 4, height: 2 };
    const { pixels, width, height } = prepareInput(rgb, {
      ...NSFWJS_MOBILENET_V2_PROFILE,
      width: 4,
      height: 4,
      resize: 'contain',
      background: '#ff0080',
    });
    expect([width, height]).toEqual([4, 4]);
    // Rows 0 and 3 are padding, rows 1 and 2 the image.
    expect([...pixels.subarray(0, 3)]).toEqual([255, 0, 128]);
    expect([...pixels.subarray(4 * 3, 4 * 3 + 3)]).toEqual([10, 10, 10]);
    expect([...pixels.subarray(12 * 3, 12 * 3 + 3)]).toEqual([255, 0, 128]);
  });

  it.each([
    { encoding: 'npy', contentType: 'application/x-npy', format: undefined },
    { encoding: 'png', contentType: 'image/png', format: 'png' },
    { encoding: 'jpeg', contentType: 'image/jpeg', format: 'jpeg' },
  ] as const)('encodes $encoding as $contentType', async ({ encoding, contentType, format }) => {
    const input = { pixels: new Float32Array(8 * 8 * 3).fill(127.6), width: 8, height: 8 };
    const encoded = await encodeInput(input, { ...NSFWJS_MOBILENET_V2_PROFILE, encoding });
    expect([encoded.contentType, encoded.encoding, encoded.width, encoded.height]).toEqual([
      contentType,
      encoding,
      8,
      8,
    ]);
    if (format !== undefined) {
      const { data, info } = await sharp(encoded.body).raw().toBuffer({ resolveWithObject: true });
      expect([info.format, info.width, info.height, info.channels]).toEqual(['raw', 8, 8, 3]);
      // 127.6 rounds to 128; JPEG may move a flat grey by a level at most.
      expect(Math.abs((data[0] as number) - 128)).toBeLessThanOrEqual(format === 'png' ? 0 : 1);
    }
  });
});
