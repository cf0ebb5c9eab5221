/**
 * `application/x-npy` over HTTP, and the promise behind it: the gateway's
 * tensor (shared decodeRgb + prepareInput with the model's profile, as
 * `.npy`) and the raw image it came from get the same answer from
 * /invocations, so where the resize runs does not change the model's answer.
 */
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '#shared/model-input/npy.ts';
import { decodeRgb, encodeInput, prepareInput } from '#shared/model-input/prepare.ts';
import { NSFWJS_MOBILENET_V2_PROFILE } from '#shared/model-input/profile.ts';
import type { ModelServer } from './server.ts';
import { jpeg, PATTERNS, png } from './test/images.ts';
import { uint8Npy } from './test/npy.ts';
import { runtimeClient, startTestServer } from './test/server.ts';

type Predictions = Array<{ label: string; score: number }>;

const PROFILE = NSFWJS_MOBILENET_V2_PROFILE;
const SIDE = PROFILE.width;

let server: ModelServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.loaded;
});
afterAll(() => server.close(0));

function post(body: Uint8Array, contentType: string) {
  return fetch(`${server.url}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
  });
}

async function predictions(body: Uint8Array, contentType: string): Promise<unknown> {
  const response = await post(body, contentType);
  expect(response.status).toBe(200);
  return ((await response.json()) as { predictions: unknown }).predictions;
}

function scores(list: Predictions): Record<string, number> {
  return Object.fromEntries(list.map((p) => [p.label, p.score]));
}

/** The gateway's body for an image: what /predict sends under the embedded profile. */
async function gatewayBody(image: Buffer) {
  const rgb = await decodeRgb(sharp(image), PROFILE.background);
  return encodeInput(prepareInput(rgb, PROFILE), PROFILE);
}

describe('one answer for both routes', () => {
  it.each([
    { what: 'a 300 x 200 noise JPEG', image: () => jpeg('noise', 300, 200) },
    { what: 'a 640 x 427 photo-like JPEG', image: () => jpeg('photo', 640, 427) },
  ])(
    "gives $what and the gateway's .npy tensor of it the same predictions (1e-5)",
    async ({ image }) => {
      const bytes = await image();
      const tensor = await gatewayBody(bytes);
      expect([tensor.contentType, tensor.width, tensor.height]).toEqual([
        'application/x-npy',
        SIDE,
        SIDE,
      ]);
      const fromImage = scores((await predictions(bytes, 'image/jpeg')) as Predictions);
      const fromTensor = scores(
        (await predictions(tensor.body, tensor.contentType)) as Predictions,
      );
      expect(Object.keys(fromTensor).sort()).toEqual(Object.keys(fromImage).sort());
      for (const [label, score] of Object.entries(fromImage)) {
        expect(Math.abs(score - (fromTensor[label] as number))).toBeLessThan(1e-5);
      }
    },
  );
});

describe('POST /invocations with application/x-npy', () => {
  it("answers the SDK's InvokeEndpoint with the .npy body as /invocations does", async () => {
    const tensor = await gatewayBody(await jpeg('photo', 320, 240));
    const client = runtimeClient(server.url);
    try {
      const output = await client.send(
        new InvokeEndpointCommand({
          EndpointName: 'image-moderation',
          ContentType: tensor.contentType,
          Body: tensor.body,
        }),
      );
      expect(JSON.parse(new TextDecoder().decode(output.Body))).toEqual({
        predictions: await predictions(tensor.body, tensor.contentType),
      });
    } finally {
      client.destroy();
    }
  });

  it('answers uint8 pixels exactly as the PNG that holds them', async () => {
    const pixels = PATTERNS.gradient(SIDE);
    const fromPng = await predictions(await png('gradient'), 'image/png');
    expect(await predictions(uint8Npy([SIDE, SIDE, 3], pixels), 'application/x-npy')).toEqual(
      fromPng,
    );
  });

  it('answers an (N, 224, 224, 3) batch with one list per image', async () => {
    const grey = Float32Array.from(PATTERNS.grey(SIDE));
    const noise = Float32Array.from(PATTERNS.noise(SIDE));
    const single = await Promise.all(
      [grey, noise].map((pixels) =>
        predictions(encodeNpy(pixels, [SIDE, SIDE, 3]), 'application/x-npy'),
      ),
    );
    const batch = new Float32Array(2 * SIDE * SIDE * 3);
    batch.set(grey);
    batch.set(noise, grey.length);
    expect(await predictions(encodeNpy(batch, [2, SIDE, SIDE, 3]), 'application/x-npy')).toEqual(
      single,
    );
  });

  it.each([
    {
      what: 'an array of another size',
      body: () => encodeNpy(new Float32Array(100 * 100 * 3), [100, 100, 3]),
      status: 400,
      message:
        'The .npy array has shape (100, 100, 3); this model takes (224, 224, 3) for one image or (N, 224, 224, 3) for N images.',
    },
    {
      what: 'more images than the batch limit',
      body: () => uint8Npy([17, SIDE, SIDE, 3], new Uint8Array(17 * SIDE * SIDE * 3)),
      status: 413,
      message: 'The .npy array holds 17 images, more than the limit of 16.',
    },
    {
      what: 'a body that is not .npy',
      body: () => Buffer.from('{"instances": []}'),
      status: 400,
      message: 'The body is not a NumPy .npy array (no \\x93NUMPY magic).',
    },
  ])('answers $status with a JSON message for $what', async ({ body, status, message }) => {
    const response = await post(body(), 'application/x-npy');
    expect([response.status, response.headers.get('content-type'), await response.json()]).toEqual([
      status,
      'application/json',
      { message },
    ]);
  });
});
