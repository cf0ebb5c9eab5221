import { describe, expect, it, vi } from 'vitest';
import { loadImage } from '../../fixtures/index.ts';
import { DecodeRefusal, decodeImage, readImageHeader } from './decode.ts';
import {
  DEFAULT_PIXEL_LIMITS,
  HEIC_DECODE_MS_PER_MEGAPIXEL,
  MAX_HEIC_PIXELS,
  pixelLimitBreach,
} from './pixel-limits.ts';

describe('HEIC under the decoding policy', () => {
  it('reads the header without decoding: dimensions as displayed, no EXIF orientation', async () => {
    const header = await readImageHeader(loadImage('chelsea.heic'), 'heic');
    expect(header).toMatchObject({ format: 'heic', width: 451, height: 300, orientation: 1 });
  });

  it('decodes to RGB at full resolution', async () => {
    const header = await readImageHeader(loadImage('chelsea.heic'), 'heic');
    const rgb = await decodeImage(header, { background: '#ffffff' });
    expect([rgb.width, rgb.height, rgb.data.length]).toEqual([451, 300, 451 * 300 * 3]);
  });

  it('decodes with trailing bytes after the file (every pixel is there)', async () => {
    const bytes = Buffer.concat([loadImage('chelsea.heic'), Buffer.alloc(512, 0x5a)]);
    const rgb = await decodeImage(await readImageHeader(bytes, 'heic'), { background: '#ffffff' });
    expect([rgb.width, rgb.height]).toEqual([451, 300]);
  });

  it('refuses missing pixel data and a passed deadline', async () => {
    const truncated = await readImageHeader(loadImage('truncated.heic'), 'heic');
    await expect(decodeImage(truncated, { background: '#ffffff' })).rejects.toMatchObject({
      name: 'DecodeRefusal',
      kind: 'undecodable',
    });
    const header = await readImageHeader(loadImage('chelsea.heic'), 'heic');
    const late = decodeImage(header, { background: '#ffffff', deadlineEpochMs: Date.now() - 1 });
    await expect(late).rejects.toBeInstanceOf(DecodeRefusal);
    await expect(late).rejects.toMatchObject({ kind: 'deadlinePassed' });
  });

  it('starts a HEIC decode only when the time left covers it (it cannot be stopped)', async () => {
    const header = await readImageHeader(loadImage('chelsea.heic'), 'heic');
    // 451 x 300 = 0.1353 MP: 34 ms at HEIC_DECODE_MS_PER_MEGAPIXEL.
    const need = ((451 * 300) / 1e6) * HEIC_DECODE_MS_PER_MEGAPIXEL;
    expect(Math.ceil(need)).toBe(34);
    const short = decodeImage(header, {
      background: '#ffffff',
      deadlineEpochMs: Date.now() + need - 10,
    });
    await expect(short).rejects.toMatchObject({ kind: 'deadlinePassed' });
    await expect(short).rejects.toThrow(/cannot be stopped and may take 34 ms/);
    const ample = await decodeImage(header, {
      background: '#ffffff',
      deadlineEpochMs: Date.now() + 5000,
    });
    expect([ample.width, ample.height]).toEqual([451, 300]);
  });

  it("keeps the decoder's plain-text failure message out of the logs, and console.log working", async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const truncated = await readImageHeader(loadImage('truncated.heic'), 'heic');
      const decodes = [1, 2].map(() => decodeImage(truncated, { background: '#ffffff' }));
      await Promise.allSettled(decodes);
      expect(log).not.toHaveBeenCalled();
      console.log('after');
      expect(log).toHaveBeenCalledWith('after');
    } finally {
      log.mockRestore();
    }
  });

  it('has its own pixel limit (decoded whole, unstoppable), checked from the header', () => {
    const heic = (width: number, height: number) =>
      pixelLimitBreach({ format: 'heic', interlaced: false, width, height }, DEFAULT_PIXEL_LIMITS);
    expect(MAX_HEIC_PIXELS).toBe(12_200_000);
    expect(heic(4032, 3024)).toBeUndefined(); // a 12 MP iPhone photo
    expect(heic(3492, 3493)).toBeUndefined(); // 12,197,556: at most the limit
    expect(heic(3493, 3493)).toMatchObject({ pixels: 12_201_049, limit: 12_200_000 });
    expect(heic(5712, 4284)).toEqual({
      width: 5712,
      height: 4284,
      pixels: 24_470_208,
      limit: 12_200_000,
      measure: 'pixels',
      scope: 'HEIC',
      key: 'maxHeicPixels',
    });
  });
});
