import busboy from 'busboy';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// ENDPOINT_CONTENT_TYPE: the three body formats the gateway sends to SageMaker.

const { stub, call } = handlerHarness();

describe('endpoint payload formats', () => {
  it('application/x-image: the JPEG, labelled for built-in algorithms', async () => {
    await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'application/x-image',
    });
    expect(stub.received[0]?.headers['content-type']).toBe('application/x-image');
    expect((await sharp(stub.received[0]?.body).metadata()).format).toBe('jpeg');
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
    const jpeg = Buffer.from(sent.instances[0]?.b64 ?? '', 'base64');
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 224, height: 224 });
    expect((body.results as Array<{ sent: { bytes: number } }>)[0]?.sent.bytes).toBe(
      stub.received[0]?.body.length,
    );
  });

  it('multipart/form-data: a form with the normalised image and the text fields', async () => {
    await call(uploadEvent([{ name: 'note', value: 'hi' }, imagePart('small.jpg', 'pic.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'multipart/form-data',
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
      ['file:pic.jpg:image/jpeg', 'image'],
    ]);
    expect(parts[0]?.[2].toString()).toBe('hi');
    expect(await sharp(parts[1]?.[2]).metadata()).toMatchObject({
      format: 'jpeg',
      width: 224,
      height: 224,
    });
  });
});
