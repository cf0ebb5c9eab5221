/**
 * The HTTP agent the local gateway calls integration backends with. A
 * backend may answer before it has read the whole request and close the
 * connection (the local SageMaker Runtime answers 413 to an oversized body
 * from its Content-Length alone), and RFC 9112 section 9.6 warns that a
 * client still writing then sees a reset. In Node a failed write fails the
 * whole socket, dropping the answer that arrived just before. So on these
 * sockets a write the peer refused counts as done and the rest of the body
 * is dropped: the response, if one was sent, is still read, and a peer that
 * closed without answering still ends in an error on the read side.
 */
import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';

type WriteCallback = (error?: Error | null) => void;
type Chunks = Array<{ chunk: unknown; encoding: BufferEncoding }>;

/** The write errors of a connection the peer has closed or reset. */
function peerClosed(error: Error | null | undefined): boolean {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/** Makes `socket`'s writes succeed silently once the peer has closed it. */
function keepReadingAfterPeerClose(socket: Duplex): void {
  let closedByPeer = false;
  const settle =
    (callback: WriteCallback): WriteCallback =>
    (error) => {
      if (peerClosed(error)) {
        closedByPeer = true;
        callback();
      } else callback(error);
    };
  const write = socket._write.bind(socket);
  socket._write = (chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) => {
    if (closedByPeer) callback();
    else write(chunk, encoding, settle(callback));
  };
  const writev = socket._writev?.bind(socket);
  if (writev !== undefined) {
    socket._writev = (chunks: Chunks, callback: WriteCallback) => {
      if (closedByPeer) callback();
      else writev(chunks, settle(callback));
    };
  }
}

/** A keep-alive agent whose sockets still read the backend's answer after it closed early. */
export class UpstreamAgent extends Agent {
  constructor() {
    super({ keepAlive: true });
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    if (socket !== null && socket !== undefined) keepReadingAfterPeerClose(socket);
    return socket;
  }
}
