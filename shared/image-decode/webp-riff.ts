/**
 * The RIFF container of a WebP file (Google's "WebP Container
 * Specification"): which chunks are whole, so that a file cut inside the
 * metadata that follows its image (EXIF, XMP) can be closed where the image
 * ends, as a JPEG without its end marker is.
 */

/** Chunks that carry pixels: a still image, its alpha, an animation frame. */
const PIXEL_CHUNKS = new Set(['VP8 ', 'VP8L', 'ALPH', 'ANMF']);
/** VP8X flag bits of the metadata chunks that may be left out (ICC, EXIF, XMP). */
const METADATA_FLAGS: Readonly<Record<string, number>> = {
  ICCP: 0x20,
  EXIF: 0x08,
  'XMP ': 0x04,
};
const HEADER_BYTES = 12;

export type WebpContainer =
  /** The file holds all the RIFF size says (bytes after it are not WebP's). */
  | { readonly kind: 'whole' }
  /** The file stops inside a chunk that carries pixels, or before any. */
  | { readonly kind: 'pixelsMissing' }
  /** The file stops inside metadata after whole pixel chunks: `bytes` is the file closed there. */
  | { readonly kind: 'closed'; readonly bytes: Buffer };

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** Reads the container of a file that starts with `RIFF....WEBP`. */
export function readWebpContainer(bytes: Uint8Array): WebpContainer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = 8 + view.getUint32(4, true);
  if (bytes.length >= riffEnd) return { kind: 'whole' };
  let at = HEADER_BYTES;
  let pixels = false;
  const whole = new Set<string>();
  let vp8xAt = -1;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const next = at + 8 + size + (size % 2);
    // The last chunk may lack its pad byte and still be whole.
    if (at + 8 + size > bytes.length) {
      if (PIXEL_CHUNKS.has(id)) return { kind: 'pixelsMissing' };
      break;
    }
    if (id === 'VP8X') vp8xAt = at;
    if (PIXEL_CHUNKS.has(id)) pixels = true;
    whole.add(id);
    at = Math.min(next, bytes.length);
  }
  if (!pixels) return { kind: 'pixelsMissing' };
  const closed = Buffer.from(bytes.subarray(0, at));
  closed.writeUInt32LE(at - 8, 4);
  if (vp8xAt >= 0) {
    // The VP8X header must not announce metadata the file no longer holds.
    for (const [id, flag] of Object.entries(METADATA_FLAGS)) {
      if (!whole.has(id)) closed[vp8xAt + 8] = (closed[vp8xAt + 8] as number) & ~flag;
    }
  }
  return { kind: 'closed', bytes: closed };
}
