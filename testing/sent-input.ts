import sharp from 'sharp';
import { decodeNpy } from '#shared/model-input/npy.ts';

/** What the model received, as 8-bit RGB pixels (a tensor rounded, an image decoded). */
export interface SentPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** `npy`, `png` or `jpeg`, read from the bytes. */
  readonly format: string;
}

/**
 * Decodes an invocation body the gateway sent: a `.npy` float32 (H, W, 3)
 * tensor, or an image file. For tests that look at the pixels the model saw.
 */
export async function sentPixels(body: Buffer): Promise<SentPixels> {
  if (body[0] === 0x93 && body.toString('latin1', 1, 6) === 'NUMPY') {
    const { shape, data } = decodeNpy(body);
    const [height = 0, width = 0, channels = 0] = shape;
    if (shape.length !== 3 || channels !== 3) throw new Error(`unexpected tensor shape ${shape}`);
    return {
      data: Uint8Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v)))),
      width,
      height,
      format: 'npy',
    };
  }
  const image = sharp(body);
  const { format = 'unknown' } = await image.metadata();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`the sent image has ${info.channels} channels`);
  return { data, width: info.width, height: info.height, format };
}
