import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the stand-in received it. */
export interface ReceivedInvocation {
  readonly endpointName: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the stand-in answers to one invocation. */
export interface StubReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string | Buffer;
  /** Delay before answering, to exercise deadlines. */
  readonly delayMs?: number;
}

/** Picks the reply to the `index`-th invocation since the last `reset()`. */
export type StubBehaviour = (request: ReceivedInvocation, index: number) => StubReply;

/** A classifier's answer, as SageMaker relays it. */
export function predictionsReply(
  predictions: ReadonlyArray<{ label: string; score: number }>,
  variant = 'AllTraffic',
): StubReply {
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/json',
      'x-Amzn-Invoked-Production-Variant': variant,
    },
    body: JSON.stringify({ predictions }),
  };
}

/**
 * An error the way SageMaker Runtime sends it (restJson1): the type in
 * `x-amzn-errortype`, the fields in a JSON body, so the SDK raises the
 * matching exception class.
 */
export function sagemakerError(
  type: string,
  status: number,
  fields: Record<string, unknown> = {},
): StubReply {
  return {
    status,
    headers: {
      'Content-Type': 'application/json',
      'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.sagemaker/`,
      'x-amzn-RequestId': '00000000-0000-4000-8000-000000000000',
    },
    body: JSON.stringify({ message: `${type} from the stand-in`, ...fields }),
  };
}

/**
 * A real HTTP stand-in for SageMaker Runtime on 127.0.0.1. The handler's
 * real SDK client reaches it at the URL `start()` returns (see
 * `localRuntimeClient`), so signing, serialisation and error parsing all run
 * for real.
 */
export class SageMakerStub {
  /** Every invocation since the last `reset()`, in arrival order. */
  readonly received: ReceivedInvocation[] = [];
  /** @default - a 200 with one prediction, `cat` at 0.9 */
  behaviour: StubBehaviour = () => predictionsReply([{ label: 'cat', score: 0.9 }]);
  private server: Server | undefined;
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Listens on a free port of 127.0.0.1; resolves to the base URL, `http://127.0.0.1:PORT`. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
        if (req.method !== 'POST' || match === null) {
          res.writeHead(404).end();
          return;
        }
        const received: ReceivedInvocation = {
          endpointName: decodeURIComponent(match[1] as string),
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const index = this.received.push(received) - 1;
        const reply = this.behaviour(received, index);
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body);
        };
        if (reply.delayMs === undefined) {
          send();
        } else {
          const timer = setTimeout(() => {
            this.pending.delete(timer);
            send();
          }, reply.delayMs);
          this.pending.add(timer);
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Forgets what was received and restores the default behaviour. */
  reset(): void {
    this.received.length = 0;
    this.behaviour = () => predictionsReply([{ label: 'cat', score: 0.9 }]);
  }

  /** Drops delayed replies and open connections, then closes the server. */
  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
