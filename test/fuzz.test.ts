import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, isGatewayError } from '#shared/errors.ts';
import { parseMultipart } from '#shared/multipart.ts';
import { multipartBoundary } from '#shared/multipart-boundary.ts';
import { buildMultipart, eventFor, loadImage } from '../fixtures/index.ts';
import { lambdaContext } from '../local/emulation/lambda-context.ts';
import { configWith, handlerWith, localRuntimeClient } from '../testing/predict-handler.ts';
import { SageMakerStub } from '../testing/sagemaker-stub.ts';

// The idea of middy's index.fuzz.js: whatever arrives, only the project's
// own typed errors may come out: no crash, no hang, no 500.

const limits = configWith({ MAX_FILES: '3', MAX_PARTS: '6' }).limits;
const BOUNDARY = 'fuzz-boundary';
const jpeg = () => loadImage('small.jpg');

const token = fc.stringMatching(/^[a-zA-Z0-9_-]{0,12}$/);
const part = fc.oneof(
  fc.record({ name: fc.oneof(token, fc.constant('image')), value: fc.string({ maxLength: 40 }) }),
  fc.record({
    name: fc.oneof(token, fc.constant('image')),
    filename: fc.string({ maxLength: 20 }),
    contentType: fc.constantFrom('image/jpeg', 'application/octet-stream', 'text/plain', ''),
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.constant(Buffer.alloc(0)),
    ),
  }),
);

/** A well-formed body, then damaged: cut, spliced with junk, or a byte flipped. */
const body = fc
  .tuple(
    fc.array(part, { maxLength: 8 }),
    fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant('splice' as const),
        at: fc.nat(),
        junk: fc.uint8Array({ maxLength: 32 }),
      }),
    ),
  )
  .map(([parts, damage]) => {
    const whole = buildMultipart(parts, BOUNDARY);
    if (damage.kind === 'none' || whole.length === 0) return whole;
    const at = damage.at % whole.length;
    if (damage.kind === 'cut') return whole.subarray(0, at);
    if (damage.kind === 'flip') {
      const copy = Buffer.from(whole);
      copy[at] = damage.value;
      return copy;
    }
    return Buffer.concat([whole.subarray(0, at), Buffer.from(damage.junk), whole.subarray(at)]);
  });

const contentType = fc.oneof(
  fc.constant(`multipart/form-data; boundary=${BOUNDARY}`),
  fc.constant(`multipart/form-data; boundary="${BOUNDARY}"; charset=utf-8`),
  fc.string({ maxLength: 60 }),
  fc.string({ maxLength: 30 }).map((s) => `multipart/form-data; boundary=${s}`),
);

async function onlyTypedErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    expect(error.status).toBeLessThan(500);
  }
}

describe('fuzz: the multipart parser', () => {
  it('damaged and arbitrary bodies only ever yield typed 4xx errors', async () => {
    await fc.assert(
      fc.asyncProperty(contentType, body, async (type, bytes) => {
        await onlyTypedErrors(() => parseMultipart(bytes, multipartBoundary(type), limits));
      }),
      { numRuns: 600 },
    );
  });

  it('random bytes with a valid Content-Type only ever yield typed 4xx errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await onlyTypedErrors(() => parseMultipart(Buffer.from(bytes), BOUNDARY, limits));
      }),
      { numRuns: 400 },
    );
  });
});

describe('fuzz: the whole handler', () => {
  const stub = new SageMakerStub();
  let client: ReturnType<typeof localRuntimeClient>;
  beforeAll(async () => {
    client = localRuntimeClient(await stub.start());
  });
  afterAll(() => stub.stop());

  const event = fc
    .record({
      body: fc.oneof(
        body.map((b) => ({ raw: b, base64: true })),
        fc.string({ maxLength: 200 }).map((s) => ({ raw: Buffer.from(s), base64: false })),
        fc.tuple(fc.array(part, { maxLength: 2 }), fc.boolean()).map(([parts, withImage]) => ({
          raw: buildMultipart(
            withImage
              ? [
                  ...parts,
                  { name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', bytes: jpeg() },
                ]
              : parts,
            BOUNDARY,
          ),
          base64: true,
        })),
      ),
      contentType,
      headerCase: fc.constantFrom('Content-Type', 'content-type', 'CONTENT-TYPE'),
      requestId: fc.option(fc.string({ maxLength: 70 }), { nil: undefined }),
      clientId: fc.option(fc.string({ maxLength: 1100 }), { nil: undefined }),
      nullHeaders: fc.boolean(),
    })
    .map((spec): APIGatewayProxyEvent => {
      const base = eventFor(spec.body.raw, spec.contentType);
      const headers: Record<string, string> = { [spec.headerCase]: spec.contentType };
      if (spec.requestId !== undefined) headers['X-Request-Id'] = spec.requestId;
      if (spec.clientId !== undefined) headers['X-Client-Id'] = spec.clientId;
      return {
        ...base,
        body: spec.body.base64 ? spec.body.raw.toString('base64') : spec.body.raw.toString('utf8'),
        isBase64Encoded: spec.body.base64,
        headers: spec.nullHeaders ? (null as never) : headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      };
    });

  it('answers 200 or a catalogued 4xx problem, never a 500 or a throw', async () => {
    const handler = handlerWith({ MAX_FILES: '3', MAX_PARTS: '6' }, client);
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const result = await handler(e, lambdaContext());
        const parsed = JSON.parse(result.body) as { code?: keyof typeof ERROR_CATALOGUE };
        if (result.statusCode === 200) return;
        expect(result.statusCode).toBeLessThan(500);
        expect(parsed.code && ERROR_CATALOGUE[parsed.code].status).toBe(result.statusCode);
      }),
      { numRuns: 250 },
    );
  });
});
