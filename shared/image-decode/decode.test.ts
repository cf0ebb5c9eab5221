import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../fixtures/index.ts';
import { DecodeRefusal, decodeImage, readImageHeader } from './decode.ts';

/** A PNG chunk: length, type, data, CRC. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const framed = Buffer.alloc(body.length + 8);
  framed.writeUInt32BE(data.length, 0);
  body.copy(framed, 4);
  framed.writeUInt32BE(crc32(body), body.length + 4);
  return framed;
}

/** A black 8-bit RGB PNG of 1 x `rows`: libvips pays per row, so it decodes slowly. */
function tallPng(rows: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(rows, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = deflateSync(Buffer.alloc(rows * 4));
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('readImageHeader', () => {
  it.each([
    {
      file: 'orientation-6.jpg',
      format: 'jpeg',
      size: [64, 96],
      orientation: 6,
      interlaced: false,
    },
    { file: 'progressive.jpg', format: 'jpeg', size: [64, 48], orientation: 1, interlaced: true },
    { file: 'animated.gif', format: 'gif', size: [48, 32], orientation: 1, interlaced: false },
  ] as const)('$file: stored size, orientation, interlacing', async (c) => {
    const header = await readImageHeader(loadImage(c.file), c.format);
    expect([header.width, header.height, header.orientation, header.interlaced]).toEqual([
      ...c.size,
      c.orientation,
      c.interlaced,
    ]);
  });

  it('reads an interlaced PNG as interlaced', async () => {
    const png = await sharp(loadImage('small.jpg')).png({ progressive: true }).toBuffer();
    expect((await readImageHeader(png, 'png')).interlaced).toBe(true);
  });

  it("reads a GIF's first frame only: one cut short is refused, a later one is never read", async () => {
    const gif = loadImage('animated.gif'); // 3 frames of 48x32; the first one's data ends at byte 95
    const cutInFirst = gif.subarray(0, 80);
    const cutInSecond = gif.subarray(0, 144);
    await expect(readImageHeader(cutInFirst, 'gif')).rejects.toMatchObject({
      kind: 'unreadableHeader',
    });
    const rgb = await decodeImage(await readImageHeader(cutInSecond, 'gif'), {
      background: '#ffffff',
    });
    const whole = await decodeImage(await readImageHeader(gif, 'gif'), { background: '#ffffff' });
    expect([rgb.width, rgb.height]).toEqual([48, 32]);
    expect(Buffer.from(rgb.data).equals(Buffer.from(whole.data))).toBe(true);
  });

  it('refuses a header it cannot read', async () => {
    const error = await readImageHeader(Buffer.from('GIF89a'), 'gif').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeRefusal);
    expect((error as DecodeRefusal).kind).toBe('unreadableHeader');
  });
});

describe('decodeImage and the deadline', () => {
  it('starts no decode after the deadline', async () => {
    const header = await readImageHeader(loadImage('small.jpg'), 'jpeg');
    const error = await decodeImage(header, {
      background: '#ffffff',
      deadlineEpochMs: Date.now() - 1,
    }).catch((e: unknown) => e);
    expect((error as DecodeRefusal).kind).toBe('deadlinePassed');
  });

  it('stops a decode that runs past the deadline (sharp timeout, whole seconds)', async () => {
    // About 3.5 s to decode here (libvips pays per row); stopped after 1 s.
    const header = await readImageHeader(tallPng(20_000_000), 'png');
    const started = Date.now();
    const error = await decodeImage(header, {
      background: '#ffffff',
      deadlineEpochMs: started + 200,
    }).catch((e: unknown) => e);
    expect((error as DecodeRefusal).kind).toBe('deadlinePassed');
    expect(Date.now() - started).toBeLessThan(2500);
    // Refused only once libvips has stopped: no image work outlives the answer.
    expect(sharp.counters()).toEqual({ queue: 0, process: 0 });
  });
});
