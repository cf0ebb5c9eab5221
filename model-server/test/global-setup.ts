/**
 * Vitest global setup: builds the bundled ONNX model when the cache has none
 * (a fresh clone) or one built by another converter version, once, before
 * any test file runs.
 */
import { ensureNsfwjsModel } from '../model/build.ts';

export default async function setup(): Promise<void> {
  await ensureNsfwjsModel();
}
