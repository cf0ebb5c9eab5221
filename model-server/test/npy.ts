/**
 * `.npy` bodies of any element type for the model server's tests (the
 * shared encodeNpy writes float32 only, which is all the gateway sends).
 */

/** A version 1.0 `.npy` file: `descr` such as `<f4`, `|u1` or `<f8`, then `data` as given. */
export function npyBody(descr: string, shape: readonly number[], data: Uint8Array): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // Magic (6) + version (2) + header length (2) + dict, padded to 64 bytes with a final newline.
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = Buffer.alloc(10 + headerLength, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header);
  header.writeUInt16LE(headerLength, 8);
  header.write(dict, 10, 'latin1');
  header[header.length - 1] = 0x0a;
  return Buffer.concat([header, data]);
}

/** A uint8 `.npy` body. */
export function uint8Npy(shape: readonly number[], data: Uint8Array): Buffer {
  return npyBody('|u1', shape, data);
}
