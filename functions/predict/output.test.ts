import { describe, expect, it } from 'vitest';
import { MODEL_OUTPUT_MAX_BYTES, MODEL_OUTPUT_MAX_DEPTH, mapModelOutput } from './output.ts';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const labels = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

describe('mapModelOutput', () => {
  it.each([
    {
      what: 'predictions list, sorted by score',
      body: {
        predictions: [
          { label: 'a', score: 0.1 },
          { label: 'b', score: 0.7 },
          { label: 'c', score: 0.2 },
        ],
      },
      labels: [],
      k: 5,
      expected: {
        predictions: [
          { label: 'b', score: 0.7 },
          { label: 'c', score: 0.2 },
          { label: 'a', score: 0.1 },
        ],
      },
    },
    {
      what: 'predictions list cut to top-k, extra keys dropped',
      body: {
        predictions: [
          { label: 'a', score: 0.1, index: 0 },
          { label: 'b', score: 0.9, index: 1 },
        ],
      },
      labels: [],
      k: 1,
      expected: { predictions: [{ label: 'b', score: 0.9 }] },
    },
    {
      what: 'a batch of one predictions list',
      body: {
        predictions: [
          [
            { label: 'x', score: 0.4 },
            { label: 'y', score: 0.6 },
          ],
        ],
      },
      labels: [],
      k: 5,
      expected: {
        predictions: [
          { label: 'y', score: 0.6 },
          { label: 'x', score: 0.4 },
        ],
      },
    },
    {
      what: 'bare probability array with configured labels',
      body: [0.1, 0.05, 0.8, 0.03, 0.02],
      labels,
      k: 2,
      expected: {
        predictions: [
          { label: 'Neutral', score: 0.8 },
          { label: 'Drawing', score: 0.1 },
        ],
      },
    },
    {
      what: 'TF Serving style nested probabilities with labels',
      body: { predictions: [[0.2, 0.8]] },
      labels: ['no', 'yes'],
      k: 5,
      expected: {
        predictions: [
          { label: 'yes', score: 0.8 },
          { label: 'no', score: 0.2 },
        ],
      },
    },
    {
      what: 'label to score object',
      body: { cat: 0.25, dog: 0.75 },
      labels: [],
      k: 5,
      expected: {
        predictions: [
          { label: 'dog', score: 0.75 },
          { label: 'cat', score: 0.25 },
        ],
      },
    },
    {
      what: 'probability array without labels passes through',
      body: [0.5, 0.5],
      labels: [],
      k: 5,
      expected: { output: [0.5, 0.5] },
    },
    {
      what: 'detector output passes through',
      body: { boxes: [[0, 0, 10, 10]], classes: ['cat'] },
      labels: [],
      k: 5,
      expected: { output: { boxes: [[0, 0, 10, 10]], classes: ['cat'] } },
    },
    {
      what: 'a JSON string passes through',
      body: 'hello',
      labels: [],
      k: 5,
      expected: { output: 'hello' },
    },
  ])('$what', ({ body, labels, k, expected }) => {
    expect(mapModelOutput(json(body), labels, k)).toEqual(expected);
  });

  it.each([
    { what: 'plain text', body: Buffer.from('cat 0.9') },
    { what: 'invalid UTF-8', body: Buffer.from([0x7b, 0xff, 0x7d]) },
    { what: 'empty body', body: Buffer.alloc(0) },
  ])('refuses $what with BAD_MODEL_OUTPUT', ({ body }) => {
    expect(() => mapModelOutput(body, [], 5)).toThrowError(
      expect.objectContaining({
        code: 'BAD_MODEL_OUTPUT',
        detail: 'The model answered with something that is not JSON.',
      }),
    );
  });

  it('refuses a probability array whose length does not match the labels', () => {
    expect(() => mapModelOutput(json([0.5, 0.5]), labels, 5)).toThrowError(
      expect.objectContaining({
        code: 'BAD_MODEL_OUTPUT',
        detail: 'The model returned 2 scores but 5 labels are configured.',
      }),
    );
  });
});

describe('mapModelOutput: bounds on what is passed on', () => {
  const nested = (depth: number, open = '[', close = ']') =>
    Buffer.from(`${open.repeat(depth)}${close.repeat(depth)}`);
  const objects = (depth: number) => Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  const tooDeep = `The model answered with JSON nested more than ${MODEL_OUTPUT_MAX_DEPTH} levels deep; the gateway passes at most ${MODEL_OUTPUT_MAX_DEPTH} on.`;

  it.each([
    {
      what: `arrays ${MODEL_OUTPUT_MAX_DEPTH} deep`,
      source: nested(MODEL_OUTPUT_MAX_DEPTH),
      expected: { output: JSON.parse(nested(MODEL_OUTPUT_MAX_DEPTH).toString()) },
    },
    {
      what: `objects ${MODEL_OUTPUT_MAX_DEPTH} deep`,
      source: objects(MODEL_OUTPUT_MAX_DEPTH),
      expected: { output: JSON.parse(objects(MODEL_OUTPUT_MAX_DEPTH).toString()) },
    },
    {
      what: 'brackets and escaped quotes inside strings (they do not nest)',
      source: json({ s: `\\"${'['.repeat(200)}`, t: '{'.repeat(200) }),
      expected: { output: { s: `\\"${'['.repeat(200)}`, t: '{'.repeat(200) } },
    },
    {
      what: `a classifier's answer padded past ${MODEL_OUTPUT_MAX_BYTES} bytes (cut to top-k)`,
      source: json({
        predictions: [{ label: 'a', score: 1 }],
        padding: 'x'.repeat(MODEL_OUTPUT_MAX_BYTES),
      }),
      expected: { predictions: [{ label: 'a', score: 1 }] },
    },
  ])('passes on $what', ({ source, expected }) => {
    expect(mapModelOutput(source, [], 5)).toEqual(expected);
  });

  it.each([
    {
      what: '5,000 nested arrays (a stack overflow, once)',
      source: nested(5000),
      expected: tooDeep,
    },
    {
      what: `arrays ${MODEL_OUTPUT_MAX_DEPTH + 1} deep`,
      source: nested(MODEL_OUTPUT_MAX_DEPTH + 1),
      expected: tooDeep,
    },
    {
      what: `objects ${MODEL_OUTPUT_MAX_DEPTH + 1} deep`,
      source: objects(MODEL_OUTPUT_MAX_DEPTH + 1),
      expected: tooDeep,
    },
    {
      what: 'deep nesting inside a classifier-shaped answer',
      source: Buffer.from(`{"predictions":[{"label":"a","score":1}],"x":${nested(100)}}`),
      expected: tooDeep,
    },
    {
      what: `an answer that is not a classifier's, over ${MODEL_OUTPUT_MAX_BYTES} bytes`,
      source: json({ blob: 'x'.repeat(MODEL_OUTPUT_MAX_BYTES) }),
      expected: `The model answered with ${MODEL_OUTPUT_MAX_BYTES + 11} bytes of JSON that is not a classifier's; a Lambda response holds at most ${MODEL_OUTPUT_MAX_BYTES} bytes.`,
    },
  ])('refuses $what with BAD_MODEL_OUTPUT', ({ source, expected }) => {
    expect(() => mapModelOutput(source, [], 5)).toThrowError(
      expect.objectContaining({ code: 'BAD_MODEL_OUTPUT', status: 502, detail: expected }),
    );
  });
});
