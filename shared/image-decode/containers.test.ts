/** The container readers the decoding policy consults: WebP's RIFF chunks, TIFF's directory. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../fixtures/index.ts';
import { buildTiff } from '../../fixtures/tiff.ts';
import { tiffIsTiled } from './tiff-ifd.ts';
import { readWebpContainer } from './webp-riff.ts';

const webpWithExif = () =>
  sharp({ create: { width: 32, height: 16, channels: 3, background: '#336699' } })
    .webp()
    .withExif({ IFD0: { Copyright: 'x'.repeat(200) } })
    .toBuffer();

describe('readWebpContainer', () => {
  it('a whole file, with bytes after it or not, is whole', async () => {
    const webp = await webpWithExif();
    expect(readWebpContainer(webp)).toEqual({ kind: 'whole' });
    expect(readWebpContainer(Buffer.concat([webp, Buffer.from('tail')]))).toEqual({
      kind: 'whole',
    });
  });

  it.each([
    { what: 'inside the EXIF chunk', cut: (webp: Buffer) => webp.indexOf('EXIF') + 30 },
    { what: 'before the EXIF chunk', cut: (webp: Buffer) => webp.indexOf('EXIF') },
  ])('a file cut $what is closed where the image ends, its EXIF flag cleared', async ({ cut }) => {
    const webp = await webpWithExif();
    const exifAt = webp.indexOf('EXIF');
    const container = readWebpContainer(webp.subarray(0, cut(webp)));
    expect(container.kind).toBe('closed');
    const closed = (container as { bytes: Buffer }).bytes;
    expect([closed.length, closed.readUInt32LE(4)]).toEqual([exifAt, exifAt - 8]);
    expect((closed[20] as number) & 0x08).toBe(0);
    const [a, b] = await Promise.all([closed, webp].map((file) => sharp(file).raw().toBuffer()));
    expect(a?.equals(b as Buffer)).toBe(true);
  });

  it('a file cut inside its image data has pixels missing', () => {
    const webp = loadImage('image.webp');
    expect(readWebpContainer(webp.subarray(0, webp.length - 10))).toEqual({
      kind: 'pixelsMissing',
    });
    expect(readWebpContainer(webp.subarray(0, 20))).toEqual({ kind: 'pixelsMissing' });
  });
});

describe('tiffIsTiled', () => {
  const pixels = Buffer.alloc(32 * 32 * 3);
  it.each([
    { layout: 'strips', tiff: () => buildTiff({ width: 32, height: 32, pixels }), tiled: false },
    {
      layout: 'tiles',
      tiff: () => buildTiff({ width: 32, height: 32, pixels, tileSize: 16 }),
      tiled: true,
    },
    {
      layout: "sharp's tiles (the directory after the data)",
      tiff: () =>
        sharp(loadImage('small.jpg'))
          .tiff({ tile: true, tileWidth: 16, tileHeight: 16 })
          .toBuffer(),
      tiled: true,
    },
    { layout: "sharp's strips", tiff: () => loadImage('image.tiff'), tiled: false },
    {
      layout: 'a directory cut off',
      tiff: () => buildTiff({ width: 32, height: 32, pixels }).subarray(0, 12),
      tiled: false,
    },
  ])('$layout: $tiled', async ({ tiff, tiled }) => {
    expect(tiffIsTiled(await tiff())).toBe(tiled);
  });
});
