/**
 * Vitest global setup: builds the bundled ONNX model when the cache has none
 * (a fresh clone), once, before any test file runs.
 */
import { ensureNsfwjsModel } from '../model/build.ts';

export default async function setup(): Promise<void> {
  await ensureNsfwjsModel();
}
