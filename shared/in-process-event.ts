/**
 * A binary request body handed to a function in-process (the local gateway
 * runs the Lambda handler in its own process). API Gateway gives the
 * function the body as a base64 string; building that string for a 600 KB
 * upload costs a fresh 800 KB string on V8's large-object pages every
 * request (one page fault per 4 KiB), and the handler's first act is to
 * decode it back. So an in-process event carries the bytes too, under a
 * symbol (not enumerable: invisible to JSON, `Object.keys` and spreads),
 * and builds its `body` string only when something reads it. The string,
 * when read, is exactly the bytes' base64: the event is the same event.
 */

/** Where an in-process event with `isBase64Encoded: true` keeps its body's bytes. */
export const RAW_BODY: unique symbol = Symbol.for('image-inference-gateway.raw-body');

interface WithRawBody {
  readonly [RAW_BODY]?: Buffer;
}

/**
 * The bytes whose base64 is `event.body`, when the event was built
 * in-process with them; undefined for an event from Lambda's runtime (JSON).
 */
export function rawBodyOf(event: object): Buffer | undefined {
  const raw = (event as WithRawBody)[RAW_BODY];
  return Buffer.isBuffer(raw) ? raw : undefined;
}

/**
 * Gives `event` (whose body is binary) its body as `bytes`: `event.body`
 * becomes an enumerable property whose base64 string is made on first read
 * and kept, and `RAW_BODY` holds the bytes. `event` must not yet have a body.
 */
export function attachRawBody<T extends object>(event: T, bytes: Buffer): T {
  let encoded: string | undefined;
  Object.defineProperty(event, 'body', {
    enumerable: true,
    configurable: true,
    get: () => {
      encoded ??= bytes.toString('base64');
      return encoded;
    },
    set: (value: string) => {
      // A handler may replace the body; the bytes no longer describe it.
      Object.defineProperty(event, 'body', {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      delete (event as { [RAW_BODY]?: Buffer })[RAW_BODY];
    },
  });
  Object.defineProperty(event, RAW_BODY, { value: bytes, enumerable: false, configurable: true });
  return event;
}

/** The length of the base64 of `bytes` bytes (RFC 4648, padded), without making it. */
export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}
