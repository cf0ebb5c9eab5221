/**
 * What the local gateway does with clients that break HTTP or take too
 * long: the time limits it sets on Node's HTTP server, and the answers to
 * what Node's parser refuses (its `clientError` event), as problem+json
 * with the CORS headers of the gateway's other errors where a response can
 * still be written. API Gateway itself never sees such requests (its front
 * end refuses them), so the stack has no gateway response type for them:
 * they go through DEFAULT_4XX, as any 4xx type without its own response.
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayResponse } from './emulation/api-model.ts';
import { fallback4xxReply } from './emulation/gateway-responses.ts';
import type { HeaderLookup, MappingContext } from './emulation/mapping.ts';
import { responseHeaders } from './emulation/reply.ts';

/**
 * How long a client may take to send its request line and headers, and
 * how long a new connection may stay silent. A client sends its headers in
 * one go, so 10 s is generous; Node's default (60 s, checked every 30 s) let
 * a client trickling headers hold a connection for 88 s.
 */
export const HEADERS_TIMEOUT_MS = 10_000;

/**
 * How long a client may take to send a whole request, body included. The
 * largest request API Gateway takes (10 MB) arrives in 25 s at 3.4 Mbit/s,
 * far slower than this machine's loopback or a LAN; a body trickled at
 * 1 byte/s used to hold its connection forever. Counted until the last
 * byte arrives, never while the gateway works on the answer (the
 * integration timeout, 29 s, bounds that).
 */
export const REQUEST_TIMEOUT_MS = 25_000;

/**
 * How often Node looks for connections past those limits: a client is cut
 * at most this long after its limit (Node's default is 30 s).
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** The limits, overridable by tests (shorter values), in milliseconds. */
export interface ClientLimits {
  /** @default HEADERS_TIMEOUT_MS */
  readonly headersTimeoutMs?: number;
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** @default TIMEOUT_CHECK_INTERVAL_MS */
  readonly timeoutCheckIntervalMs?: number;
}

/** Node's HTTP server options for `limits` (requireHostHeader: the gateway answers that itself). */
export function serverTimeouts(limits: ClientLimits = {}) {
  const requestTimeout = limits.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  return {
    // Node requires headersTimeout <= requestTimeout.
    headersTimeout: Math.min(limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout),
    requestTimeout,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs ?? TIMEOUT_CHECK_INTERVAL_MS,
    requireHostHeader: false,
  };
}

/** The request a connection is receiving or answering, so a client error knows where it struck. */
export interface InFlight {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

/** What the gateway needs to answer a client error. */
export interface ClientErrorContext {
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponse>;
  readonly limits: Required<ClientLimits>;
  /** The latest request on `socket`, if any. */
  readonly inFlight: (socket: Socket) => InFlight | undefined;
  /** `$context` for an error outside any request (ids, time, the API's identity). */
  readonly mapping: () => MappingContext;
  readonly accessLog?: (line: string) => void;
}

/** The status and `$context.error.message` for an error of Node's parser or its timers. */
function describe(
  error: NodeJS.ErrnoException & { reason?: string },
  inBody: boolean,
  limits: Required<ClientLimits>,
): { status: number; message: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return inBody
        ? {
            status: 408,
            message: `The request did not arrive in full within ${limits.requestTimeoutMs / 1000} s.`,
          }
        : {
            status: 408,
            message: `The request headers did not arrive within ${limits.headersTimeoutMs / 1000} s.`,
          };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request headers are too large.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'The chunk extensions of the request body are too large.' };
    case CONNECT_METHOD:
      return {
        status: 400,
        message: 'The CONNECT method is not supported: this is an API, not a proxy.',
      };
    default:
      return {
        status: 400,
        message: `The request is not valid HTTP/1.1: ${error.reason ?? error.code ?? 'parse error'}.`,
      };
  }
}

/** The code of the error a CONNECT request stands for (Node hands it over outside the request cycle). */
const CONNECT_METHOD = 'CONNECT_METHOD';

/** The headers `rawResponse` writes itself. */
const FRAMING_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding']);

/**
 * Serialises a response for a socket Node's parser has given up on (no
 * ServerResponse can be used), closing the connection after it.
 */
function rawResponse(
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
): Buffer {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) {
    // Framing is this function's: a second Content-Length, even an equal
    // one, makes Node's and undici's parsers refuse the whole answer
    // (RFC 9112, section 6.3).
    if (FRAMING_HEADERS.has(name.toLowerCase())) continue;
    for (const one of [value].flat()) lines.push(`${name}: ${one}`);
  }
  lines.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/**
 * The gateway's `clientError` listener. It answers where nothing has been
 * written on the connection yet (the request is being received, or none
 * has started), then closes it; after a request still being answered, once
 * that answer is sent (a malformed request pipelined after a valid one).
 * An answered request whose body breaks or stalls gets nothing more: its
 * connection is closed, as Node would. Each connection is answered once.
 */
function clientErrorHandler(context: ClientErrorContext) {
  const answered = new WeakSet<Socket>();

  function answer(
    error: Error,
    socket: Socket,
    receiving: InFlight | undefined,
    request: IncomingMessage | undefined = receiving?.req,
  ): void {
    if (!socket.writable || answered.has(socket)) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const { status, message } = describe(error, receiving !== undefined, context.limits);
    const mapping = context.mapping();
    const header: HeaderLookup = (name) => {
      const value = request?.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(',') : value;
    };
    const reply = fallback4xxReply(context.gatewayResponses, status, message, mapping, header);
    const headers = responseHeaders(reply, mapping.requestId, {
      extendedRequestId: mapping.extendedRequestId ?? '',
    });
    // Closed once the answer is flushed: a client still sending then reads
    // it before a reset in most cases, and the connection holds nothing.
    socket.end(rawResponse(reply.status, headers, reply.body));
    setTimeout(() => socket.destroy(), 1000).unref();
    context.accessLog?.(
      JSON.stringify({
        requestId: mapping.requestId,
        stage: null,
        route: request === undefined ? null : `${request.method} ${request.url}`,
        status: reply.status,
        clientError: (error as NodeJS.ErrnoException).code ?? error.name,
      }),
    );
  }

  const onClientError = (error: Error, socket: Socket) => {
    const inFlight = context.inFlight(socket);
    if (inFlight === undefined || inFlight.res.writableFinished) {
      // Between requests, or before the first: the error is the next request's.
      if (inFlight === undefined || inFlight.req.complete) answer(error, socket, undefined);
      else socket.destroy(); // answered early, its body broken or too slow
    } else if (!inFlight.req.complete) {
      if (inFlight.res.headersSent) socket.destroy();
      else answer(error, socket, inFlight);
    } else {
      // A complete request is being answered: its answer first, then this one.
      inFlight.res.once('close', () => answer(error, socket, undefined));
    }
  };
  /** A CONNECT request: Node destroys its socket unanswered unless someone listens. */
  const onConnect = (req: IncomingMessage, socket: Socket) => {
    const error = Object.assign(new Error('CONNECT'), { code: CONNECT_METHOD });
    answer(error, socket, undefined, req);
  };
  return { onClientError, onConnect };
}

/**
 * Answers on `server` what Node's parser refuses (`clientError`) and CONNECT
 * requests (`connect`), each as problem+json through DEFAULT_4XX.
 */
export function answerClientErrors(server: Server, context: ClientErrorContext): void {
  const { onClientError, onConnect } = clientErrorHandler(context);
  server.on('clientError', onClientError);
  server.on('connect', onConnect);
}
