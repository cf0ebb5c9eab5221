import { describe, expect, it } from 'vitest';
import { decodeNpy } from '#shared/model-input/npy.ts';
import { type EventName, loadEvent, loadImage } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { predictionsReply } from '../../testing/sagemaker-stub.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// The contract as real clients meet it: captured curl, Chromium and Node
// uploads, the 200 body, and what the model receives (headers, names, ids).

const { stub, call } = handlerHarness();

describe('uploads as real clients build them', () => {
  it.each<EventName>(['curl', 'chromium', 'node-fetch'])(
    '%s upload: 200 with the contract shape',
    async (name) => {
      stub.behaviour = () =>
        predictionsReply([
          { label: 'Drawing', score: 0.1 },
          { label: 'Neutral', score: 0.85 },
          { label: 'Porn', score: 0.05 },
        ]);
      const event = loadEvent(name);
      // Text fields reach the model only when allowlisted (issue 16).
      const { result, body } = await call(event, { FORWARD_FIELDS: 'note' });
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['Content-Type']).toBe('application/json');
      const requestId = event.requestContext.requestId;
      expect(result.headers?.['X-Request-Id']).toBe(requestId);
      expect(body).toEqual({
        requestId,
        endpoint: { name: 'local-endpoint', variant: 'AllTraffic' },
        results: [
          {
            field: 'image',
            filename: 'small.jpg',
            image: {
              format: 'jpeg',
              width: 64,
              height: 48,
              orientation: 1,
              bytes: loadImage('small.jpg').length,
            },
            sent: {
              contentType: 'application/x-npy',
              encoding: 'npy',
              profile: 'nsfwjs-mobilenet-v2',
              width: 224,
              height: 224,
              bytes: stub.received[0]?.body.length,
            },
            predictions: [
              { label: 'Neutral', score: 0.85 },
              { label: 'Drawing', score: 0.1 },
              { label: 'Porn', score: 0.05 },
            ],
          },
        ],
        timingsMs: expect.objectContaining({
          parse: expect.any(Number),
          normalise: expect.any(Number),
          inference: expect.any(Number),
          total: expect.any(Number),
        }),
      });

      // What the model received: one invocation, the profile's 224x224 RGB tensor.
      expect(stub.received).toHaveLength(1);
      const [received] = stub.received;
      expect(received?.endpointName).toBe('local-endpoint'); // the stage variable
      expect(received?.headers['content-type']).toBe('application/x-npy');
      expect(received?.headers.accept).toBe('application/json');
      expect(received?.headers['x-amzn-sagemaker-custom-attributes']).toBe('note=hello');
      expect(received?.headers['x-amzn-sagemaker-inference-id']).toBe(requestId);
      // A tensor carries pixels only: no EXIF, GPS, XMP, IPTC or ICC can travel in it.
      const sent = decodeNpy(received?.body as Buffer);
      expect([sent.dtype, sent.shape]).toEqual(['float32', [224, 224, 3]]);
      expect(received?.body.length).toBe(128 + 224 * 224 * 3 * 4);
    },
  );

  it('keeps UTF-8 file names', async () => {
    const { body } = await call(uploadEvent([imagePart('small.jpg', '写真 café.jpg')]));
    expect((body.results as Array<{ filename: string }>)[0]?.filename).toBe('写真 café.jpg');
  });

  it('answers several images in upload order, one invocation each', async () => {
    stub.behaviour = (request, index) =>
      predictionsReply([{ label: `call-${index}-${request.body.length > 0}`, score: 1 }]);
    const { result, body } = await call(
      uploadEvent([
        imagePart('small.jpg', 'a.jpg'),
        imagePart('alpha.png', 'b.png'),
        imagePart('image.webp', 'c.webp'),
      ]),
    );
    expect(result.statusCode).toBe(200);
    const results = body.results as Array<{ filename: string; image: { format: string } }>;
    expect(results.map((r) => [r.filename, r.image.format])).toEqual([
      ['a.jpg', 'jpeg'],
      ['b.png', 'png'],
      ['c.webp', 'webp'],
    ]);
    expect(stub.received).toHaveLength(3);
  });

  it('uses SAGEMAKER_ENDPOINT_NAME without a stage variable, and the target variant from config', async () => {
    const event = uploadEvent([imagePart('small.jpg')]);
    event.stageVariables = null;
    const { result } = await call(event, { SAGEMAKER_TARGET_VARIANT: 'blue' });
    expect(result.statusCode).toBe(200);
    expect(stub.received[0]?.endpointName).toBe('test-endpoint');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-target-variant']).toBe('blue');
  });

  it('uses X-Request-Id as inference id and echoes it; forwards X-Client-Id', async () => {
    const { result, body } = await call(
      uploadEvent([imagePart('small.jpg'), { name: 'note', value: 'a b' }], {
        'x-request-id': 'job-42',
        'X-Client-Id': 'team;a',
      }),
      { FORWARD_FIELDS: 'note' },
    );
    expect(result.headers?.['X-Request-Id']).toBe('job-42');
    expect(body.requestId).toBe('job-42');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-inference-id']).toBe('job-42');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-custom-attributes']).toBe(
      'client-id=team%3Ba;note=a%20b',
    );
  });

  it.each<{ what: string; env: Record<string, string>; expected: string }>([
    { what: 'no allowlist (the default)', env: {}, expected: 'client-id=team' },
    {
      what: 'an allowlist without them',
      env: { FORWARD_FIELDS: 'note' },
      expected: 'client-id=team',
    },
    {
      what: 'tfs-* allowlisted by prefix',
      env: { FORWARD_FIELDS: 'tfs-*' },
      expected: 'client-id=team;tfs-model-name=other;tfs-method=classify',
    },
  ])('forwards form fields only when allowlisted: $what', async ({ env, expected }) => {
    // TF Serving's container routes on exactly these attribute names.
    const { result } = await call(
      uploadEvent(
        [
          imagePart('small.jpg'),
          { name: 'tfs-model-name', value: 'other' },
          { name: 'tfs-method', value: 'classify' },
        ],
        { 'X-Client-Id': 'team' },
      ),
      env,
    );
    expect(result.statusCode).toBe(200);
    expect(stub.received[0]?.headers['x-amzn-sagemaker-custom-attributes']).toBe(expected);
  });
});
