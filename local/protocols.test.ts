/**
 * The integration matrix of issue 16: for every endpoint protocol, the
 * local stack started as `npm start -- -c endpointProtocol=P` starts it
 * (the Lambda's adapter from the synthesised template, the model server
 * presenting that container family's contract), one photo uploaded to
 * /predict through the real SDK: the same top label, and the same scores
 * within the fidelity tolerance, as the default protocol gives.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ENDPOINT_PROTOCOLS, type EndpointProtocol } from '#shared/endpoint-protocol/presets.ts';
import { loadImage } from '../fixtures/index.ts';
import { maxDifference, type Scores, scoresOf, topLabel } from '../testing/nsfwjs-reference.ts';
import { contractViolation } from '../testing/openapi-contract.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

/** The fidelity tolerance (local/fidelity.test.ts): image presets send 8-bit PNG, not the float tensor. */
const TOLERANCE = 0.02;
const KEY = 'local-protocols-test-key-001';
const IMAGE = loadImage('photo-2mp.jpg');

interface Answer {
  readonly status: number;
  readonly result: {
    readonly predictions?: Array<{ label: string; score: number }>;
    readonly output?: { labels?: string[]; scores?: number[]; normalized_boxes?: number[][] };
    readonly sent: { contentType: string; encoding: string };
  };
}

async function predict(stack: LocalStack): Promise<Answer> {
  const form = new FormData();
  form.append('image', new Blob([IMAGE], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(`${stack.url}/dev/predict`, {
    method: 'POST',
    body: form,
    headers: { 'x-api-key': KEY },
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  // Whatever the container family, the answer is the one the OpenAPI document describes.
  const contentType = response.headers.get('content-type') ?? undefined;
  expect(contractViolation('predict', { status: response.status, contentType, body: text })).toBe(
    undefined,
  );
  const body = JSON.parse(text) as { results?: Answer['result'][] };
  return { status: response.status, result: body.results?.[0] as Answer['result'] };
}

/** Starts the stack for `protocol` as `npm start -- -c endpointProtocol=...` does, runs `use`, stops it. */
async function withStack<T>(
  context: Record<string, string>,
  use: (stack: LocalStack) => Promise<T>,
): Promise<T> {
  const stack = await startLocalStack({ port: 0, modelPort: 0, apiKey: KEY, context });
  try {
    return await use(stack);
  } finally {
    await stack.stop();
  }
}

const answers = new Map<EndpointProtocol, Answer>();
afterAll(() => answers.clear());

/** The wire each preset puts on the request, as the response's `sent` reports it. */
const SENT: Record<EndpointProtocol, { contentType: string | RegExp; encoding: string }> = {
  'raw-image': { contentType: 'application/x-npy', encoding: 'npy' },
  torchserve: { contentType: 'image/png', encoding: 'png' },
  'pytorch-dlc': { contentType: 'application/x-npy', encoding: 'npy' },
  'tensorflow-serving': { contentType: 'application/json', encoding: 'npy' },
  huggingface: { contentType: 'image/x-image', encoding: 'png' },
  'sagemaker-image-classification': { contentType: 'application/x-image', encoding: 'png' },
  'jumpstart-ic': { contentType: 'application/x-image', encoding: 'png' },
  triton: {
    contentType: /^application\/vnd\.sagemaker-triton\.binary\+json;json-header-size=\d+$/,
    encoding: 'npy',
  },
  detection: { contentType: 'application/x-image', encoding: 'png' },
};

function scoresFrom(answer: Answer): Scores {
  const { predictions, output } = answer.result;
  if (predictions !== undefined) return scoresOf(predictions);
  // Detection passes through: the labels and scores of its boxes.
  const labels = output?.labels ?? [];
  return scoresOf(labels.map((label, i) => ({ label, score: output?.scores?.[i] ?? Number.NaN })));
}

describe('every endpoint protocol against the local model server playing that container', () => {
  it.each(ENDPOINT_PROTOCOLS.map((protocol) => ({ protocol })))(
    '$protocol: same top label and scores within 0.02 as raw-image',
    { timeout: 120_000 },
    async ({ protocol }) => {
      const answer = await withStack({ endpointProtocol: protocol }, (stack) => predict(stack));
      answers.set(protocol, answer);
      const sent = SENT[protocol];
      expect(answer.result.sent.encoding).toBe(sent.encoding);
      if (typeof sent.contentType === 'string') {
        expect(answer.result.sent.contentType).toBe(sent.contentType);
      } else {
        expect(answer.result.sent.contentType).toMatch(sent.contentType);
      }
      const baseline = answers.get('raw-image');
      expect(baseline, 'raw-image runs first').toBeDefined();
      const [want, got] = [scoresFrom(baseline as Answer), scoresFrom(answer)];
      expect(topLabel(got)).toBe(topLabel(want));
      expect(maxDifference(want, got)).toBeLessThanOrEqual(TOLERANCE);
    },
  );

  it('detection passes through intact: boxes, classes, scores and labels', () => {
    const output = answers.get('detection')?.result.output as Record<string, unknown[]>;
    expect(Object.keys(output).sort()).toEqual(['classes', 'labels', 'normalized_boxes', 'scores']);
    expect(output.normalized_boxes?.every((box) => JSON.stringify(box) === '[0,0,1,1]')).toBe(true);
    expect(answers.get('detection')?.result.predictions).toBeUndefined();
  });
});

describe('TOP_K above what the model gives (-c topK)', () => {
  it('torchserve answers its top 5: all 5 are returned, and the result says TOP_K asked for 8', {
    timeout: 120_000,
  }, async () => {
    const answer = await withStack({ endpointProtocol: 'torchserve', topK: '8' }, (stack) =>
      predict(stack),
    );
    expect(answer.result.predictions).toHaveLength(5);
    expect((answer.result as { warnings?: string[] }).warnings).toEqual([
      'TOP_K is 8 but the model gave 5 finite scores; all 5 are returned.',
    ]);
  });
});

describe('forwarded fields (TF Serving routes on tfs-model-name)', () => {
  it.each([
    { forwardFields: '', status: 200 },
    { forwardFields: 'note', status: 200 },
    { forwardFields: 'tfs-*', status: 502 },
  ])(
    'forwardFields "$forwardFields": a tfs-model-name=other form field gives $status',
    {
      timeout: 120_000,
    },
    async ({ forwardFields, status }) => {
      const context: Record<string, string> = { endpointProtocol: 'tensorflow-serving' };
      if (forwardFields !== '') context.forwardFields = forwardFields;
      await withStack(context, async (stack) => {
        const form = new FormData();
        form.append('image', new Blob([IMAGE], { type: 'image/jpeg' }), 'photo.jpg');
        form.append('tfs-model-name', 'other');
        const response = await fetch(`${stack.url}/dev/predict`, {
          method: 'POST',
          body: form,
          headers: { 'x-api-key': KEY },
        });
        const body = (await response.json()) as { code?: string; detail?: string };
        expect(response.status, JSON.stringify(body)).toBe(status);
        // Allowlisted, it reaches the container, which routes on it and finds no such model.
        if (status === 502) expect(body.code).toBe('MODEL_ERROR');
      });
    },
  );
});
