/**
 * `npm start`: the local gateway (API Gateway emulation + a local SageMaker
 * model server) is not built yet. Say so plainly rather than start half of it.
 */
process.stderr.write(
  [
    'image-inference-gateway: the local gateway is not available yet.',
    'The predict Lambda is built and tested (npm test, npm run bench);',
    'the local model server and the local API Gateway are the next issues.',
    '',
  ].join('\n'),
);
process.exitCode = 1;
