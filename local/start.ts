/**
 * `npm start`: the whole gateway on this machine, no AWS account, no Docker.
 * The model server (building its model first if needed) in a child process,
 * the local API Gateway from the synthesised stack, the browser page at `/`.
 * The model server is restarted when it crashes (model-supervisor.ts).
 * Ctrl-C or SIGTERM stops both and exits 0. What keeps it from starting (a
 * bad setting, a port in use, a model that cannot be loaded) is one line
 * on stderr and a non-zero exit.
 */
import '../scripts/quiet.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, environment, Settings } from '#shared/config-kit.ts';
import { DEFAULT_ENDPOINT_PROTOCOL } from '#shared/endpoint-protocol/presets.ts';
import { type LocalApiKey, localApiKey } from './api-keys.ts';
import { parseContextArgs } from './context-args.ts';
import { writeToken } from './local-issuer.ts';
import { commandUptimeMs } from './process-start.ts';
import {
  type LocalStack,
  ModelServerStartError,
  PortInUseError,
  startLocalStack,
} from './stack.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT_RULE = 'a port number (0-65535)';

// A reader that has gone (`npm start | head`, a closed terminal) must not
// crash the gateway, or a SIGTERM halfway through stopping: what is
// printed then has nowhere to go and is dropped.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

const env = new Settings(environment(process.env));
let key: LocalApiKey;
let port: number;
let modelPort: number;
let localFaults: boolean;
let context: Record<string, string>;
try {
  // `npm start -- -c key=value`: the same context keys as `cdk synth`.
  context = parseContextArgs(process.argv.slice(2));
  key = localApiKey(env, join(ROOT, '.cache', 'local-api-key'));
  port = env.integer('PORT', 3000, 0, 65535, PORT_RULE);
  modelPort = env.integer('MODEL_PORT', 8080, 0, 65535, PORT_RULE);
  if (port !== 0 && port === modelPort) {
    // Else the model server takes it first and the gateway is blamed.
    throw new ConfigError(
      `Environment variables PORT and MODEL_PORT must differ, but both are ${port}`,
    );
  }
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

/** The variables that set each port of the stack. */
const PORT_VARIABLES = { port: 'PORT', modelPort: 'MODEL_PORT' } as const;

// Ctrl-C or SIGTERM at any time, starting included, stops both servers
// (the model server once it exists) and exits 0.
let stack: LocalStack | undefined;
let stopping: NodeJS.Signals | undefined;
function stop(signal: NodeJS.Signals): void {
  process.stdout.write(`\n${signal}: stopping the local gateway and the model server\n`);
  void (stack?.stop() ?? Promise.resolve()).then(() => process.exit(0));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping !== undefined) return;
    stopping = signal;
    // While starting, stopped once the stack is up (or has failed to start).
    if (stack !== undefined) stop(signal);
  });
}

try {
  stack = await startLocalStack({
    port,
    modelPort,
    apiKey: key.key,
    localFaults,
    context,
    strictContextKeys: true,
    staticDir: join(ROOT, 'web'),
    accessLog: (line) => process.stdout.write(`${line}\n`),
    modelLog: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  if (error instanceof PortInUseError) {
    const name = PORT_VARIABLES[error.option];
    process.stderr.write(
      `Port ${error.port} (environment variable ${name}) is in use on 127.0.0.1, perhaps by another npm start: stop it, or set ${name} to a free port (0 picks one)\n`,
    );
    process.exit(1);
  }
  if (error instanceof ConfigError) {
    // A context value the app refuses (`-c modelMode=huge`): the app's own line.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof ModelServerStartError) {
    // The model server's own line (naming MODEL_CONFIG's file, say) is above.
    process.stderr.write(`npm start: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
if (stopping !== undefined) stop(stopping);
else {
  // -c authorizer=jwt: the development token, also in a file for scripts.
  const tokenFile = join(ROOT, '.cache', 'local-token');
  const dev = stack.developmentIssuer;
  if (dev !== undefined) writeToken(tokenFile, dev.token);
  const stage = stack.stages.includes('dev') ? 'dev' : (stack.stages[0] ?? 'dev');
  // With -c jwtIssuer the tokens are that issuer's: the curl needs one of them.
  const bearer =
    dev !== undefined
      ? ' -H "Authorization: Bearer $(cat .cache/local-token)"'
      : context.authorizer === 'jwt'
        ? ` -H "Authorization: Bearer <a token from ${context.jwtIssuer}>"`
        : '';
  process.stdout.write(
    [
      '',
      // From the start of the command typed (npm's and tsx's own start-up
      // included), so the figure is the wait the user saw.
      `image-inference-gateway is ready in ${(commandUptimeMs() / 1000).toFixed(1)} s`,
      `  API        ${stack.url}/{${stack.stages.join(',')}}/predict   (and /invocations, the passthrough route)`,
      `  page       ${stack.url}/`,
      `  model      ${stack.modelUrl}   (SageMaker Runtime API and container contract, endpoint protocol ${context.endpointProtocol ?? DEFAULT_ENDPOINT_PROTOCOL}; restarted if it crashes)`,
      `  API key    ${key.key}   (from ${key.source})`,
      ...(dev === undefined
        ? []
        : [
            `  JWT        Authorization: Bearer ${dev.token}`,
            `             (in ${tokenFile}; issuer ${dev.issuer.issuer}, JWKS ${stack.url}/.well-known/jwks.json, audience ${dev.audience})`,
          ]),
      ...(localFaults
        ? ['  faults     LOCAL_FAULTS=on: fault-* form fields (and X-Client-Id) provoke failures']
        : []),
      '',
      'Try it:',
      `  curl -s -H 'x-api-key: ${key.key}'${bearer} -F image=@fixtures/images/photo-2mp.jpg ${stack.url}/${stage}/predict`,
      '',
      'Ctrl-C stops both servers.',
      '',
    ].join('\n'),
  );
}
