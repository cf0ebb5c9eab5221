/**
 * Test support: HTTP over a bare socket, for what no HTTP client sends
 * (malformed requests, headers or bodies trickled byte by byte, uploads
 * that stop halfway) and for seeing exactly what came back and when.
 */
import { get } from 'node:http';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** A response as read off the socket. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Every response on the connection, as sent (e.g. a `100 Continue` before the final one). */
  readonly raw: string;
}

/** An open connection to `url`'s host and port. */
export interface RawConnection {
  readonly socket: Socket;
  /** Bytes written so far. */
  written(): number;
  write(data: string | Buffer): Promise<void>;
  /** Resolves once the server has sent a complete final response (or closed). */
  response(): Promise<RawResponse>;
  /** Resolves when the server closes the connection, with its milliseconds since `open`. */
  closed(): Promise<number>;
  /** Milliseconds since the connection was opened. */
  elapsed(): number;
}

/** A chunked body decoded, once its last chunk has arrived. */
function dechunk(data: string): string | undefined {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(data.slice(at, lineEnd), 16);
    if (size === 0) return body;
    const start = lineEnd + 2;
    if (data.length < start + size + 2) return undefined;
    body += data.slice(start, start + size);
    at = start + size + 2;
  }
}

/** The final response in `raw`, once complete (by Content-Length, else by the close). */
function parse(raw: string, closed: boolean): RawResponse | undefined {
  // Skip interim responses (1xx) before the final one.
  let rest = raw;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const after = rest.slice(end + 4);
    if (status >= 100 && status < 200) {
      rest = after;
      continue;
    }
    if (headers['transfer-encoding'] === 'chunked') {
      const body = dechunk(after);
      return body === undefined ? undefined : { status, headers, body, raw };
    }
    const length = Number(headers['content-length'] ?? Number.NaN);
    const complete = Number.isFinite(length) ? after.length >= length : closed;
    return complete ? { status, headers, body: after, raw } : undefined;
  }
}

/** Opens a connection to the server at `url` (`http://host:port`). */
export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const opened = performance.now();
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined); // a reset shows as a close
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let raw = '';
  let written = 0;
  let closedAt: number | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    raw += chunk.toString('latin1');
    wake();
  });
  socket.on('close', () => {
    closedAt = performance.now() - opened;
    wake();
  });
  const until = <T>(check: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const attempt = () => {
        const value = check();
        if (value !== undefined) resolve(value);
        else waiters.push(attempt);
      };
      attempt();
    });
  return {
    socket,
    written: () => written,
    write: (data) =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        written += Buffer.byteLength(data);
        socket.write(data, () => resolve());
      }),
    response: () =>
      until(
        () =>
          parse(raw, closedAt !== undefined) ??
          (closedAt === undefined ? undefined : { status: 0, headers: {}, body: '', raw }),
      ),
    closed: () => until(() => closedAt),
    elapsed: () => performance.now() - opened,
  };
}

/** Writes `data` one byte every `intervalMs` until the connection closes or `data` is sent. */
export async function trickle(
  connection: RawConnection,
  data: string,
  intervalMs: number,
): Promise<void> {
  for (const byte of data) {
    if (connection.socket.destroyed || connection.socket.writableEnded) return;
    await connection.write(byte);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Replays `raw` (one response as sent) to Node's own HTTP client and
 * resolves with the status and body it reads, or rejects with its parse
 * error: what a Node or browser client makes of a hand-written answer.
 */
export async function readWithNodeClient(raw: string): Promise<{ status: number; body: string }> {
  const replay = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(Buffer.from(raw, 'latin1')));
  });
  await new Promise<void>((resolve) => replay.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = replay.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      }).on('error', reject);
    });
  } finally {
    replay.close();
  }
}
