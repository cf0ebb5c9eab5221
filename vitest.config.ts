import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'functions/**/*.test.ts',
      'scripts/**/*.test.ts',
      'test/**/*.test.ts',
      'model-server/**/*.test.ts',
      'infra/**/*.test.ts',
      'local/**/*.test.ts',
      'web/**/*.test.ts',
    ],
    // Builds the bundled ONNX model when missing (a fresh clone): about a second.
    globalSetup: ['model-server/test/global-setup.ts'],
    environment: 'node',
    // Handler tests start a real HTTP stand-in for SageMaker; sharp work on a
    // 2-core machine is slow under parallel load, so give tests headroom.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: {
      // Powertools metrics would print EMF blobs to stdout for every test.
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      // The AWS SDK warns on Node 20 that its releases after January 2027
      // need Node 22; the lockfile pins one that runs here (README), and the
      // deployed Lambda runs Node 22. Once in the README is enough.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
