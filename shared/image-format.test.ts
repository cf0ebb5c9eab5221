import { describe, expect, it } from 'vitest';
import { IMAGES, type ImageName, loadImage } from '../fixtures/index.ts';
import { ALLOWED_DESCRIPTION, sniffImage } from './image-format.ts';

const bytes = (...values: Array<number | string>) =>
  Buffer.concat(
    values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from([v]))),
  );
const ftyp = (major: string, ...compatible: string[]) => {
  const size = 16 + compatible.length * 4;
  return bytes(0, 0, 0, size, 'ftyp', major, 0, 0, 0, 0, ...compatible);
};

describe('sniffImage', () => {
  it.each([
    { what: 'JPEG', input: bytes(0xff, 0xd8, 0xff, 0xe0), format: 'jpeg', allowed: true },
    {
      what: 'PNG',
      input: bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a),
      format: 'png',
      allowed: true,
    },
    { what: 'GIF87a', input: bytes('GIF87a'), format: 'gif', allowed: true },
    { what: 'WebP', input: bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 '), format: 'webp', allowed: true },
    { what: 'little-endian TIFF', input: bytes('II', 0x2a, 0), format: 'tiff', allowed: true },
    { what: 'big-endian TIFF', input: bytes('MM', 0, 0x2a), format: 'tiff', allowed: true },
    { what: 'AVIF', input: ftyp('avif', 'mif1', 'miaf'), format: 'avif', allowed: true },
    {
      what: 'AVIF by compatible brand',
      input: ftyp('mif1', 'avif'),
      format: 'avif',
      allowed: true,
    },
    { what: 'HEIC', input: ftyp('heic', 'mif1', 'heic'), format: 'heic', allowed: true },
    { what: 'HEIF mif1 only', input: ftyp('mif1', 'mif1'), format: 'heic', allowed: true },
    { what: 'MP4 video', input: ftyp('isom', 'mp41'), format: 'unknown', allowed: false },
    { what: 'PDF', input: bytes('%PDF-1.7'), format: 'pdf', allowed: false },
    {
      what: 'SVG',
      input: bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      format: 'svg',
      allowed: false,
    },
    {
      what: 'SVG with prolog',
      input: Buffer.from('\uFEFF<?xml version="1.0"?>\n<!-- x -->\n<svg/>', 'utf8'),
      format: 'svg',
      allowed: false,
    },
    { what: 'BMP', input: bytes('BM', 0, 0), format: 'bmp', allowed: false },
    { what: 'JPEG XL', input: bytes(0xff, 0x0a, 0), format: 'jxl', allowed: false },
    { what: 'ZIP', input: bytes('PK', 3, 4), format: 'zip', allowed: false },
    { what: 'plain text', input: bytes('hello world\n'), format: 'text', allowed: false },
    { what: 'binary junk', input: bytes(0, 1, 2, 0xfe), format: 'unknown', allowed: false },
    { what: 'empty', input: Buffer.alloc(0), format: 'text', allowed: false },
    { what: 'a lone JPEG marker byte', input: bytes(0xff), format: 'unknown', allowed: false },
  ])('$what → $format', ({ input, format, allowed }) => {
    expect(sniffImage(input)).toMatchObject({ format, allowed });
  });

  it.each(Object.keys(IMAGES).filter((n) => !['empty.bin'].includes(n)) as ImageName[])(
    'fixture %s sniffs as its index says',
    (name) => {
      expect(sniffImage(loadImage(name)).format).toBe(IMAGES[name].format);
    },
  );

  it('describes the allow-list for messages', () => {
    expect(ALLOWED_DESCRIPTION).toBe('JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF');
  });
});
