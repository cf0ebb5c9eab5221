/**
 * The README's worked examples of a model input profile (torchvision,
 * Keras, Hugging Face) are profiles the gateway accepts, and each states
 * the preprocessing its framework documents.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ModelInputProfile, profileFromSetting } from './profile.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The profiles (inline-code JSON objects) of the README's worked examples, in order. */
function workedExamples(): ModelInputProfile[] {
  const start = readme.indexOf('Worked examples:');
  expect(start, 'README has the worked examples').toBeGreaterThan(-1);
  // The list that follows, up to the next paragraph.
  const end = readme.indexOf('\n\n', readme.indexOf('\n- ', start));
  const json = [...readme.slice(start, end).matchAll(/`(\{[^`]*\})`/g)].map((m) => m[1] as string);
  return json.map((value) =>
    profileFromSetting(value, (field, expected, received) => {
      throw new Error(`${field ?? 'profile'} must be ${expected}, but received ${received}`);
    }),
  );
}

describe("the README's worked profile examples", () => {
  it('are four profiles the gateway accepts, each the preprocessing its framework documents', () => {
    const pick = ({ width, height, resize, cropFraction, resample }: ModelInputProfile) => ({
      width,
      height,
      resize,
      cropFraction,
      resample,
    });
    expect(workedExamples().map(pick)).toEqual([
      // torchvision: Resize(256) (shorter side, bilinear, antialias), CenterCrop(224).
      {
        width: 224,
        height: 224,
        resize: 'cover',
        cropFraction: 0.875,
        resample: 'bilinear-antialias',
      },
      // Keras image_dataset_from_directory: tf.image.resize to (256, 256), bilinear, no crop.
      { width: 256, height: 256, resize: 'fill', cropFraction: 1, resample: 'bilinear' },
      // Hugging Face: size {height, width} with resample 2 (PIL BILINEAR) stretches.
      { width: 224, height: 224, resize: 'fill', cropFraction: 1, resample: 'bilinear-antialias' },
      // Hugging Face: shortest_edge 224 with crop_pct 0.875 resizes to 256 and crops 224.
      {
        width: 224,
        height: 224,
        resize: 'cover',
        cropFraction: 0.875,
        resample: 'bilinear-antialias',
      },
    ]);
  });
});
