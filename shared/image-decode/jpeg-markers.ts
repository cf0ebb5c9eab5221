/**
 * The marker structure of a JPEG file (ITU-T T.81, Annex B): which scans it
 * holds and whether it ends with its end-of-image marker. Read without
 * decoding, to decide how a file that stops early must be decoded.
 */

/** One scan's header (SOS): its components and its part of the coefficients. */
export interface JpegScan {
  /** Component identifiers (Cs). */
  readonly components: readonly number[];
  /** Spectral selection start and end (Ss, Se), 0..63. */
  readonly spectralStart: number;
  readonly spectralEnd: number;
  /** Successive approximation low bit (Al); 0 means the scan finishes its coefficients. */
  readonly approximationLow: number;
}

export interface JpegStructure {
  /** The frame's component identifiers (from SOFn); empty when there is no frame header. */
  readonly components: readonly number[];
  /** SOF2, SOF6, SOF10, SOF14: coefficients arrive over several scans. */
  readonly progressive: boolean;
  readonly scans: readonly JpegScan[];
  /** True when an EOI marker ends the image (anything after it is ignored by decoders). */
  readonly endOfImage: boolean;
  /**
   * Where the usable bytes end: after EOI, or, when the file stops early,
   * the end of the last scan's data (a marker segment cut short is left out).
   */
  readonly end: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const FRAME_MARKERS = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);
const PROGRESSIVE_MARKERS = new Set([0xc2, 0xc6, 0xca, 0xce]);

/** Markers without a length field: RSTn, SOI, EOI, TEM. */
function standalone(marker: number): boolean {
  return (marker >= 0xd0 && marker <= 0xd9) || marker === 0x01;
}

/** Skips entropy-coded data from `at`: returns the offset of the next marker's 0xFF, or the length. */
function skipEntropyData(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length) {
    const next = bytes.indexOf(0xff, i);
    if (next === -1 || next + 1 >= bytes.length) return next === -1 ? bytes.length : next;
    const following = bytes[next + 1] as number;
    // FF00 is a stuffed data byte, FFD0..FFD7 a restart marker inside the scan.
    if (following === 0x00 || (following >= 0xd0 && following <= 0xd7)) i = next + 2;
    else if (following === 0xff) i = next + 1;
    else return next;
  }
  return bytes.length;
}

/**
 * Walks the markers of a file that starts with SOI. Never throws: whatever
 * cannot be read ends the walk, and `end` says how far the file was whole.
 */
export function readJpegStructure(bytes: Uint8Array): JpegStructure {
  let components: number[] = [];
  let progressive = false;
  const scans: JpegScan[] = [];
  let at = 2;
  let end = 2;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === EOI) {
      return { components, progressive, scans, endOfImage: true, end: at + 2 };
    }
    if (standalone(marker) || marker === SOI) {
      at += 2;
      end = at;
      continue;
    }
    if (at + 4 > bytes.length) break;
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const segmentEnd = at + 2 + length;
    if (length < 2 || segmentEnd > bytes.length) break;
    const body = bytes.subarray(at + 4, segmentEnd);
    if (FRAME_MARKERS.has(marker) && body.length >= 6) {
      progressive = PROGRESSIVE_MARKERS.has(marker);
      const count = body[5] as number;
      components = Array.from({ length: count }, (_, i) => body[6 + i * 3] ?? -1);
    }
    if (marker === SOS) {
      const count = body[0] ?? 0;
      if (body.length < 1 + count * 2 + 3) break;
      scans.push({
        components: Array.from({ length: count }, (_, i) => body[1 + i * 2] as number),
        spectralStart: body[1 + count * 2] as number,
        spectralEnd: body[2 + count * 2] as number,
        approximationLow: (body[3 + count * 2] as number) & 0x0f,
      });
      at = skipEntropyData(bytes, segmentEnd);
      end = at;
      continue;
    }
    at = segmentEnd;
    end = at;
  }
  return { components, progressive, scans, endOfImage: false, end };
}

/**
 * True when the scans, as headed, deliver every coefficient of every
 * component to its last bit: for a sequential file, every component in some
 * scan; for a progressive one, each of the 64 coefficients of each component
 * in a scan whose successive approximation ends at bit 0 (Al = 0). Whether
 * the last scan's data is all there is for the decoder to tell.
 */
export function scansCoverFrame(structure: JpegStructure): boolean {
  const { components, scans } = structure;
  if (components.length === 0 || scans.length === 0) return false;
  return components.every((component) => {
    const own = scans.filter((scan) => scan.components.includes(component));
    if (!structure.progressive) return own.length > 0;
    for (let k = 0; k < 64; k++) {
      const done = own.some(
        (scan) => scan.approximationLow === 0 && scan.spectralStart <= k && k <= scan.spectralEnd,
      );
      if (!done) return false;
    }
    return true;
  });
}
