import { describe, expect, it } from 'vitest';
import type { ImageName } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { type SentPixels, sentPixels } from '../../testing/sent-input.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// Images as the model sees them: every accepted format, EXIF orientation,
// transparency and determinism of the input sent to the endpoint.

const { stub, call } = handlerHarness();

function pixel(sent: SentPixels, x: number, y: number): number[] {
  const offset = (y * sent.width + x) * 3;
  return [...sent.data.subarray(offset, offset + 3)];
}

describe('images as the model receives them', () => {
  it('applies every EXIF orientation, so the model sees the picture upright', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      stub.reset();
      const name = `orientation-${orientation}.jpg` as ImageName;
      const { result, body } = await call(uploadEvent([imagePart(name)]), { RESIZE_FIT: 'fill' });
      expect(result.statusCode, name).toBe(200);
      const [first] = body.results as Array<{ image: Record<string, number> }>;
      expect(first?.image, name).toMatchObject({ width: 96, height: 64, orientation });
      const raw = await sentPixels(stub.received[0]?.body as Buffer);
      const corners = [
        pixel(raw, 8, 8),
        pixel(raw, 215, 8),
        pixel(raw, 8, 215),
        pixel(raw, 215, 215),
      ];
      const nearest = corners.map(([r = 0, g = 0, b = 0]) =>
        r > 200 && g > 200 && b > 200
          ? 'white'
          : r > 150
            ? 'red'
            : g > 150
              ? 'green'
              : b > 150
                ? 'blue'
                : 'other',
      );
      expect(nearest, name).toEqual(['red', 'green', 'blue', 'white']);
    }
  });

  it('sends the same bytes for the same upload (deterministic)', async () => {
    await call(uploadEvent([imagePart('photo-2mp.jpg')]));
    await call(uploadEvent([imagePart('photo-2mp.jpg')]));
    expect(stub.received).toHaveLength(2);
    expect(stub.received[0]?.body.equals(stub.received[1]?.body as Buffer)).toBe(true);
  });

  it.each([
    { name: 'small.jpg', format: 'jpeg' },
    { name: 'progressive.jpg', format: 'jpeg' },
    { name: 'cmyk.jpg', format: 'jpeg' },
    { name: 'alpha.png', format: 'png' },
    { name: 'gray16.png', format: 'png' },
    { name: 'palette.png', format: 'png' },
    { name: 'animated.gif', format: 'gif' },
    { name: 'image.webp', format: 'webp' },
    { name: 'image.avif', format: 'avif' },
    { name: 'image.tiff', format: 'tiff' },
  ] as Array<{ name: ImageName; format: string }>)(
    'accepts $name as $format and sends a 224x224 RGB tensor',
    async ({ name, format }) => {
      // Declared type is wrong on purpose: only the bytes count.
      const { result, body } = await call(uploadEvent([imagePart(name, 'upload.bin')]));
      expect(result.statusCode).toBe(200);
      const [first] = body.results as Array<{ image: { format: string } }>;
      expect(first?.image.format).toBe(format);
      expect(stub.received[0]?.headers['content-type']).toBe('application/x-npy');
      const sent = await sentPixels(stub.received[0]?.body as Buffer);
      expect([sent.format, sent.width, sent.height]).toEqual(['npy', 224, 224]);
    },
  );

  it('flattens transparency onto the configured background', async () => {
    await call(uploadEvent([imagePart('alpha.png')]), {
      FLATTEN_BACKGROUND: '#00ff00',
      RESIZE_FIT: 'fill',
    });
    const raw = await sentPixels(stub.received[0]?.body as Buffer);
    const [r = 0, g = 0, b = 0] = pixel(raw, 1, 1);
    expect(r < 40 && g > 215 && b < 40, `corner is ${[r, g, b]}`).toBe(true);
  });
});
