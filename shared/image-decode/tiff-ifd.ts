/**
 * The first image file directory of a TIFF (TIFF 6.0, section 2; BigTIFF):
 * how its pixel data is laid out, read without decoding.
 */

const TILE_WIDTH = 322;

/** True when the first image is stored in tiles (TileWidth present), false for strips. */
export function tiffIsTiled(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  const big = view.getUint16(2, little) === 43;
  const offset = big ? Number(view.getBigUint64(8, little)) : view.getUint32(4, little);
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  if (offset + countBytes > bytes.length) return false;
  const count = big ? Number(view.getBigUint64(offset, little)) : view.getUint16(offset, little);
  for (let i = 0; i < count; i++) {
    const entry = offset + countBytes + i * entryBytes;
    if (entry + 2 > bytes.length) return false;
    if (view.getUint16(entry, little) === TILE_WIDTH) return true;
  }
  return false;
}
