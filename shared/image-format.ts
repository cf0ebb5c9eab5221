import { ALLOWED_IMAGE_FORMATS } from './contract.ts';

/** What the first bytes of a file say it is, whatever name or type it was sent with. */
export interface Sniffed {
  /** sharp's name for allowed formats; a short name for the rest (`heic`, `pdf`, ...). */
  readonly format: string;
  /** Human name for messages: "JPEG", "HEIC", "PDF", "unrecognised data". */
  readonly description: string;
  readonly allowed: boolean;
}

const NAMES: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  tiff: 'TIFF',
  heic: 'HEIC/HEIF',
  svg: 'SVG',
  pdf: 'PDF',
  bmp: 'BMP',
  ico: 'ICO',
  jxl: 'JPEG XL',
  jp2: 'JPEG 2000',
  psd: 'Photoshop PSD',
  zip: 'ZIP archive',
  gzip: 'gzip data',
  text: 'text',
  unknown: 'unrecognised data',
};

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
    'latin1',
    start,
    end,
  );
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

/** ISO-BMFF (`ftyp` box): AVIF and HEIC share the container; brands tell them apart. */
function isoBrand(bytes: Uint8Array): string | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const size = Math.min(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), bytes.length);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= size; offset += 4)
    brands.push(ascii(bytes, offset, offset + 4));
  if (AVIF_BRANDS.has(brands[0] as string) || brands.some((brand) => AVIF_BRANDS.has(brand))) {
    return 'avif';
  }
  if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heic';
  return 'unknown';
}

function detect(bytes: Uint8Array): string {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(bytes, 0, 6))) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return 'webp';
  }
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'tiff';
  }
  const brand = isoBrand(bytes);
  if (brand !== undefined) return brand;
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jxl';
  if (startsWith(bytes, [0xff, 0x0a])) return 'jxl';
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf';
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (startsWith(bytes, [0x38, 0x42, 0x50, 0x53])) return 'psd';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  const head = ascii(bytes, 0, Math.min(bytes.length, 1024)).replace(/^\uFEFF|^\xEF\xBB\xBF/, '');
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg|<svg)/i.test(head)) return 'svg';
  if (/^[\t\n\r\x20-\x7e]*$/.test(head)) return 'text';
  return 'unknown';
}

/** Identifies a file from its bytes alone. */
export function sniffImage(bytes: Uint8Array): Sniffed {
  const format = detect(bytes);
  return {
    format,
    description: NAMES[format] ?? format,
    allowed: (ALLOWED_IMAGE_FORMATS as readonly string[]).includes(format),
  };
}

/** "JPEG, PNG, WebP, GIF, AVIF, TIFF": for messages. */
export const ALLOWED_DESCRIPTION = ALLOWED_IMAGE_FORMATS.map((format) => NAMES[format]).join(', ');
