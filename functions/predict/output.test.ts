import { describe, expect, it } from 'vitest';
import { mapModelOutput } from './output.ts';

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
