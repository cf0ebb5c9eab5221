import busboy from 'busboy';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { sentPixels } from '../../testing/sent-input.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// ENDPOINT_CONTENT_TYPE: the body formats the gateway sends to SageMaker.

const { stub, call } = handlerHarness();

describe('endpoint payload formats', () => {
  it.each<{ env: Record<string, string>; contentType: string; format: string }>([
    { env: {}, contentType: 'application/x-npy', format: 'npy' },
    { env: { ENDPOINT_CONTENT_TYPE: 'image/png' }, contentType: 'image/png', format: 'png' },
    { env: { ENDPOINT_CONTENT_TYPE: 'image/jpeg' }, contentType: 'image/jpeg', format: 'jpeg' },
    { env: { MODEL_INPUT_ENCODING: 'jpeg' }, contentType: 'image/jpeg', format: 'jpeg' },
  ])('$contentType: the encoded input itself ($env)', async ({ env, contentType, format }) => {
    const { body } = await call(uploadEvent([imagePart('small.jpg')]), env);
    expect(stub.received[0]?.headers['content-type']).toBe(contentType);
    const sent = await sentPixels(stub.received[0]?.body as Buffer);
    expect([sent.format, sent.width, sent.height]).toEqual([format, 224, 224]);
    const [result] = body.results as Array<{ sent: Record<string, unknown> }>;
    expect(result?.sent).toEqual({
      contentType,
      encoding: format,
      profile: format === 'npy' ? 'nsfwjs-mobilenet-v2' : 'nsfwjs-mobilenet-v2 (modified)',
      width: 224,
      height: 224,
      bytes: stub.received[0]?.body.length,
    });
  });

  it('application/x-image: a PNG (lossless) of the input, labelled for built-in algorithms', async () => {
    await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'application/x-image',
    });
    expect(stub.received[0]?.headers['content-type']).toBe('application/x-image');
    expect((await sharp(stub.received[0]?.body).metadata()).format).toBe('png');
  });

  it('application/json: one base64 instance', async () => {
    const { body } = await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'application/json',
    });
    const sent = JSON.parse(stub.received[0]?.body.toString() ?? '') as {
      instances: Array<{ b64: string }>;
    };
    expect(stub.received[0]?.headers['content-type']).toBe('application/json');
    expect(sent.instances).toHaveLength(1);
    const image = Buffer.from(sent.instances[0]?.b64 ?? '', 'base64');
    expect(await sharp(image).metadata()).toMatchObject({ format: 'png', width: 224, height: 224 });
    expect((body.results as Array<{ sent: { bytes: number } }>)[0]?.sent.bytes).toBe(
      stub.received[0]?.body.length,
    );
  });

  it('multipart/form-data: a form with the normalised image and the allowlisted text fields', async () => {
    await call(uploadEvent([{ name: 'note', value: 'hi' }, imagePart('small.jpg', 'pic.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'multipart/form-data',
      FORWARD_FIELDS: 'note',
    });
    const received = stub.received[0];
    const parts: Array<[string, string, Buffer]> = [];
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({
        headers: { 'content-type': String(received?.headers['content-type']) },
      });
      parser.on('field', (name, value) => parts.push(['field', name, Buffer.from(value)]));
      parser.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () =>
          parts.push([`file:${info.filename}:${info.mimeType}`, name, Buffer.concat(chunks)]),
        );
      });
      parser.on('close', resolve);
      parser.on('error', reject);
      parser.end(received?.body);
    });
    expect(parts.map(([kind, name]) => [kind, name])).toEqual([
      ['field', 'note'],
      ['file:pic.png:image/png', 'image'],
    ]);
    expect(parts[0]?.[2].toString()).toBe('hi');
    expect(await sharp(parts[1]?.[2]).metadata()).toMatchObject({
      format: 'png',
      width: 224,
      height: 224,
    });
  });
});
