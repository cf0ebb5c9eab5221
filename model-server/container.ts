/**
 * The container's `POST /invocations`: what SageMaker calls with the
 * InvokeEndpoint body and headers. Pure request-to-outcome, so the HTTP
 * route and the local Runtime API run the very same code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Prediction } from '#shared/contract.ts';
import type { EndpointProtocol } from '#shared/endpoint-protocol/presets.ts';
import { InvocationError } from './errors.ts';
import {
  type CrashMode,
  FaultSpecError,
  faultsFromAttributes,
  type InvocationFaults,
} from './faults.ts';
import { jsonReply, type Reply } from './http.ts';
import { type InputLimits, readInput } from './inputs.ts';
import type { ModelHost } from './model-host.ts';
import { fillTensor, prepareImage } from './preprocess.ts';
import { presentAnswer, presentRequest } from './protocols.ts';

export interface ContainerRequest {
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  /** X-Amzn-SageMaker-Custom-Attributes, as SageMaker forwards it. */
  readonly customAttributes: string | undefined;
  readonly body: Buffer;
}

/** An answer, or a (simulated) crash for the caller to carry out. */
export type ContainerOutcome =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'crash'; readonly mode: CrashMode };

export interface ContainerOptions {
  readonly host: ModelHost;
  /** Faults from the environment. */
  readonly faults: InvocationFaults;
  /** Honour `fault-*` custom attributes (local mode only). */
  readonly perRequestFaults: boolean;
  readonly limits: InputLimits;
  /** Reports failures that are not the caller's fault. */
  readonly logError: (message: string, error: unknown) => void;
  /** Aborted when the server shuts down: cuts injected delays short. */
  readonly shutdown: AbortSignal;
  /**
   * The container family whose request and response contract to present
   * (MODEL_SERVER_PROTOCOL). @default 'raw-image'
   */
  readonly protocol?: EndpointProtocol;
}

export type Container = (
  request: ContainerRequest,
  signal?: AbortSignal,
) => Promise<ContainerOutcome>;

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept
    .split(',')
    .map((type) => type.split(';')[0]?.trim().toLowerCase() ?? '')
    .some((type) => JSON_TYPES.has(type));
}

function reply(status: number, value: unknown, headers?: Record<string, string>): ContainerOutcome {
  return { kind: 'reply', reply: jsonReply(status, value, headers) };
}

function ms(start: number): string {
  return (performance.now() - start).toFixed(2);
}

export function createContainer(options: ContainerOptions): Container {
  const { host, limits } = options;
  const protocol = options.protocol ?? 'raw-image';

  async function predict(request: ContainerRequest): Promise<ContainerOutcome> {
    if (!acceptsJson(request.accept)) {
      throw new InvocationError(
        'notAcceptable',
        `Accept ${JSON.stringify(request.accept)} cannot be served; this model answers application/json.`,
      );
    }
    const model = host.model;
    if (model === undefined) {
      throw new InvocationError('notReady', 'The model is not loaded yet; retry shortly.');
    }
    const decodeStart = performance.now();
    const { classifier, affine, queue } = model;
    const spec = classifier.config.input;
    const presented = presentRequest(
      protocol,
      request.contentType,
      request.body,
      request.customAttributes,
    );
    const input = await readInput(presented.contentType, presented.body, limits, spec);
    const size = classifier.imageSize;
    const tensor = new Float32Array(input.images.length * size);
    await Promise.all(
      input.images.map(async (image, index) => {
        const out = tensor.subarray(index * size, (index + 1) * size);
        if ('pixels' in image) fillTensor(image.pixels, spec, affine, out);
        else await prepareImage(image.bytes, image.name, spec, affine, out);
      }),
    );
    const decodeMs = ms(decodeStart);
    const inferenceStart = performance.now();
    let results: Prediction[][];
    try {
      results = await queue.submit(tensor, input.images.length);
    } catch (cause) {
      throw new InvocationError('modelFailure', 'The model failed to run on this input.', {
        cause,
      });
    }
    return {
      kind: 'reply',
      reply: presentAnswer(
        protocol,
        presented,
        request.accept,
        results,
        classifier.config.labels,
        input.batch,
        { 'Server-Timing': `decode;dur=${decodeMs}, inference;dur=${ms(inferenceStart)}` },
      ),
    };
  }

  return async (request, signal) => {
    let faults: InvocationFaults;
    try {
      faults = options.perRequestFaults
        ? faultsFromAttributes(request.customAttributes, options.faults)
        : options.faults;
    } catch (error) {
      if (error instanceof FaultSpecError) return reply(400, { message: error.message });
      throw error;
    }
    if (faults.latencyMs > 0) {
      const stop =
        signal === undefined ? options.shutdown : AbortSignal.any([signal, options.shutdown]);
      try {
        await sleep(faults.latencyMs, undefined, { signal: stop });
      } catch {
        // Cut short (timeout or shutdown): whoever aborted has answered or
        // is closing; the caller gets no answer, as from a crash.
        return { kind: 'crash', mode: 'drop' };
      }
    }
    if (faults.crash !== undefined) return { kind: 'crash', mode: faults.crash };
    if (faults.status !== undefined) {
      return reply(faults.status, { message: `Injected fault: status ${faults.status}` });
    }
    try {
      return await predict(request);
    } catch (error) {
      if (error instanceof InvocationError) {
        if (error.status >= 500) options.logError(error.message, error.cause);
        return reply(error.status, { message: error.message });
      }
      options.logError('Invocation failed unexpectedly', error);
      return reply(500, { message: 'The model server failed unexpectedly; see its log.' });
    }
  };
}
