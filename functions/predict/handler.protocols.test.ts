import { describe, expect, it } from 'vitest';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// Issue 16 through the handler, the real SDK and the HTTP stand-in: what
// each preset puts on the wire, and answers read back into the one shape.

const { stub, call, expectProblem } = handlerHarness();
const answer =
  (body: string, contentType = 'application/json') =>
  () => ({
    status: 200,
    headers: { 'Content-Type': contentType },
    body,
  });

describe('endpoint protocols through the handler', () => {
  it('jumpstart-ic: application/x-image with Accept application/json;verbose, labels from the answer', async () => {
    stub.behaviour = answer(
      JSON.stringify({ probabilities: [0.2, 0.8], labels: ['cat', 'dog'], predicted_label: 'dog' }),
    );
    const { result, body } = await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_PROTOCOL: 'jumpstart-ic',
    });
    expect(result.statusCode).toBe(200);
    const [received] = stub.received;
    expect(received?.headers['content-type']).toBe('application/x-image');
    expect(received?.headers.accept).toBe('application/json;verbose');
    expect(received?.body.subarray(1, 4).toString()).toBe('PNG');
    expect((body.results as Array<Record<string, unknown>>)[0]?.predictions).toEqual([
      { label: 'dog', score: 0.8 },
      { label: 'cat', score: 0.2 },
    ]);
  });

  it('detection: boxes pass through intact, never relabelled by MODEL_LABELS', async () => {
    const detections = {
      normalized_boxes: [
        [0.1, 0.1, 0.5, 0.5],
        [0.4, 0.4, 0.9, 0.9],
      ],
      classes: [0, 16],
      scores: [0.93, 0.71],
    };
    stub.behaviour = answer(JSON.stringify(detections));
    const { body } = await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_PROTOCOL: 'detection',
      MODEL_LABELS: 'person,dog,cat,car',
    });
    const [result] = body.results as Array<Record<string, unknown>>;
    expect(result?.output).toEqual(detections);
    expect(result?.predictions).toBeUndefined();
  });

  it('TF Serving NaN: 200 with the finite scores and a warning, not 502', async () => {
    stub.behaviour = answer('{"predictions": [[0.1, NaN, 0.9]]}');
    const { result, body } = await call(uploadEvent([imagePart('small.jpg')]), {
      ENDPOINT_PROTOCOL: 'tensorflow-serving',
      MODEL_LABELS: 'a,b,c',
      TOP_K: '3',
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(stub.received[0]?.body.toString() ?? '{}')).toMatchObject({
      signature_name: 'serving_default',
    });
    const [first] = body.results as Array<Record<string, unknown>>;
    expect(first?.predictions).toEqual([
      { label: 'c', score: 0.9 },
      { label: 'a', score: 0.1 },
    ]);
    expect(first?.warnings).toEqual([
      "1 of the model's scores were not finite numbers (NaN, Infinity or null) and are left out: b.",
      'TOP_K is 3 but the model gave 2 finite scores; all 2 are returned.',
    ]);
  });

  it('bad model output is 502 BAD_MODEL_OUTPUT in the one error shape', async () => {
    stub.behaviour = answer(
      JSON.stringify({ outputs: [{ name: 'x', shape: [1], datatype: 'FP32' }] }),
    );
    await expectProblem(
      uploadEvent([imagePart('small.jpg')]),
      {
        status: 502,
        code: 'BAD_MODEL_OUTPUT',
        detail: "The model's output x has no data.",
        part: 'image[0]',
      },
      { ENDPOINT_PROTOCOL: 'triton', MODEL_LABELS: 'a' },
    );
  });
});
