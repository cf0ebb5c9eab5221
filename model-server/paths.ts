/**
 * Where the model server finds things by default. Paths are anchored at the
 * repository root (not the working directory) so `npm start`, the tests, the
 * benchmark and the container agree whatever directory they run from.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or container application) root. */
export const ROOT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The git-ignored cache of built models. */
export const MODEL_CACHE_DIR = join(ROOT_DIR, '.cache', 'models');

/** The bundled image-moderation model, built from nsfwjs by `npm run model:build`. */
export const NSFWJS_MODEL_DIR = join(MODEL_CACHE_DIR, 'nsfwjs-mobilenet-v2');

/** The classifier description the server loads unless MODEL_CONFIG says otherwise. */
export const DEFAULT_MODEL_CONFIG = join(NSFWJS_MODEL_DIR, 'classifier.json');
