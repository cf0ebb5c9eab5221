/** heic-decode 2 ships no types: the part of its API the gateway uses. */
declare module 'heic-decode' {
  /** The primary image, transformations (irot, imir, clap) applied, as RGBA. */
  export interface DecodedHeic {
    readonly width: number;
    readonly height: number;
    readonly data: Uint8ClampedArray;
  }
  function decode(input: { buffer: Uint8Array | ArrayBuffer }): Promise<DecodedHeic>;
  export default decode;
}
