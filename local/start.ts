/**
 * `npm start`: the whole gateway on this machine, no AWS account, no Docker.
 * The model server (building its model first if needed) in a child process,
 * the local API Gateway from the synthesised stack, the browser page at `/`.
 * Ctrl-C or SIGTERM stops both and exits 0.
 */
import '../scripts/quiet.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, environment, Settings } from '#shared/config-kit.ts';
import { type LocalApiKey, localApiKey } from './api-keys.ts';
import { startLocalStack } from './stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT_RULE = 'a port number (0-65535)';

const started = performance.now();
const env = new Settings(environment(process.env));
let key: LocalApiKey;
let port: number;
let modelPort: number;
let localFaults: boolean;
try {
  key = localApiKey(env, join(ROOT, '.cache', 'local-api-key'));
  port = env.integer('PORT', 3000, 0, 65535, PORT_RULE);
  modelPort = env.integer('MODEL_PORT', 8080, 0, 65535, PORT_RULE);
  // Per-request fault injection (fault-* form fields) is for tests: off, no
  // client can make the model server fail or exit.
  localFaults = env.oneOf('LOCAL_FAULTS', ['on', 'off'], 'off') === 'on';
} catch (error) {
  // A bad setting, or a key file that cannot be read or written (its path is
  // in the message): one line and a non-zero exit, not a stack trace.
  const fileError = (error as NodeJS.ErrnoException | null)?.code !== undefined;
  if (!(error instanceof ConfigError) && !fileError) throw error;
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const stack = await startLocalStack({
  port,
  modelPort,
  apiKey: key.key,
  localFaults,
  staticDir: join(ROOT, 'web'),
  accessLog: (line) => process.stdout.write(`${line}\n`),
  modelLog: (line) => process.stdout.write(`${line}\n`),
});

const stage = stack.stages.includes('dev') ? 'dev' : (stack.stages[0] ?? 'dev');
process.stdout.write(
  [
    '',
    `image-inference-gateway is ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    `  API        ${stack.url}/{${stack.stages.join(',')}}/predict   (and /invocations, the passthrough route)`,
    `  page       ${stack.url}/`,
    `  model      ${stack.modelUrl}   (SageMaker Runtime API and container contract)`,
    `  API key    ${key.key}   (from ${key.source})`,
    ...(localFaults
      ? ['  faults     LOCAL_FAULTS=on: fault-* form fields (and X-Client-Id) provoke failures']
      : []),
    '',
    'Try it:',
    `  curl -s -H 'x-api-key: ${key.key}' -F image=@fixtures/images/photo-2mp.jpg ${stack.url}/${stage}/predict`,
    '',
    'Ctrl-C stops both servers.',
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local gateway and the model server\n`);
    void stack.stop().then(() => process.exit(0));
  });
}
