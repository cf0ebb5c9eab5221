/**
 * `npm run model:build`: converts nsfwjs's MobileNetV2 weights into
 * .cache/models/nsfwjs-mobilenet-v2/{model.onnx,classifier.json}.
 * Always rebuilds; the server and the tests build only when it is missing
 * or was built by another converter version (ensureNsfwjsModel).
 */
import { relative } from 'node:path';
import { buildNsfwjsModel } from './model/build.ts';
import { ROOT_DIR } from './paths.ts';

const started = performance.now();
const result = await buildNsfwjsModel();
const seconds = ((performance.now() - started) / 1000).toFixed(2);
process.stdout.write(
  [
    `Built ${relative(ROOT_DIR, result.modelPath)} from ${result.source} in ${seconds} s`,
    `  ${result.bytes} bytes, ${result.nodes} nodes, sha256 ${result.sha256}`,
    `  classifier description: ${relative(ROOT_DIR, result.configPath)}`,
    '',
  ].join('\n'),
);
