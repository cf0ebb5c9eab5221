import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, type GatewayError, isGatewayError } from '#shared/errors.ts';
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

// The part-counting rule (issue 13): every file part is either a result or
// named in an error. Bodies hold file parts whose Content-Disposition is
// valid, broken the ways clients break it, or random; text fields; and a
// browser's empty file input, which is no file. The parser stops at the
// first error, so the property peels: each error must name a part of the
// body (`part`, or "Part N" when the field name cannot be read), which is
// then removed and the rest parsed again, until the parse succeeds. Then
// results + named errors = file parts.

/** How a file part says its name and file name (after `form-data`). */
const dispositionParams = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '; name="image"; filename="a.jpg"',
      '; name=image; filename=a.jpg',
      '; name="image"; filename*=UTF-8\'\'%E5%86%99%E7%9C%9F.jpg',
      '; name="image"; filename="b.jpg"; filename*=utf-8\'\'a.jpg',
      '; name="image"; filename="a\\"b.jpg"',
      '; name="image"; filename="C:\\\\photos\\\\a.jpg"',
      '; name="image"; filename=""',
      ';\r\n\tname="image"; filename="folded.jpg"',
      '; NAME="image"; FILENAME="upper.jpg"',
      '; name="doc"; filename="a.pdf"',
      '; filename="nameless.jpg"',
    ),
  },
  {
    // Broken as clients break them.
    weight: 2,
    arbitrary: fc.constantFrom(
      '; name="image"; filename="a"b.jpg"',
      '; name="image"; filename*=UTF-8\'\'%ZZ.jpg',
      '; name="image"; filename="a.jpg"x',
      '; name="image"; filename*=x-klingon\'\'a.jpg',
      '; name="image"; filename="a.jpg";',
      '; name="image"; filename="a.jpg',
      '; name="image"; filename=',
      '; name="image"; filename*=UTF-8\'a.jpg',
      '; name="im"age"; filename="a.jpg"',
    ),
  },
  {
    // Any file name, its bytes as UTF-8 or one byte per UTF-16 unit (control bytes too).
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 16, unit: 'binary' }), fc.constantFrom('utf8', 'latin1'))
      .filter(([name]) => !/[\r\n]/.test(name))
      .map(([name, encoding]) =>
        Buffer.from(`; name="image"; filename="${name}"`, encoding as BufferEncoding).toString(
          'latin1',
        ),
      ),
  },
);

type CountedPart =
  | {
      readonly kind: 'file';
      readonly params: string;
      readonly headers: string;
      readonly bytes: Buffer;
    }
  | { readonly kind: 'field'; readonly name: string; readonly value: string }
  | { readonly kind: 'empty input' };

const countedPart: fc.Arbitrary<CountedPart> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        kind: fc.constant('file' as const),
        params: dispositionParams,
        headers: fc.constantFrom(
          '',
          'Content-Type: image/jpeg\r\n',
          'Content-Type: application/octet-stream\r\n',
          'Content-Type: text/plain\r\n',
          'Content-Transfer-Encoding: binary\r\n',
          'Content-Transfer-Encoding: base64\r\n',
        ),
        bytes: fc.oneof(
          {
            weight: 9,
            arbitrary: fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b)),
          },
          { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
        ),
      })
      // No bytes and no file name is a browser's empty file input (its own kind below).
      .map((part) =>
        part.bytes.length === 0
          ? { ...part, params: '; name="image"; filename="empty.jpg"' }
          : part,
      ),
  },
  fc.record({
    kind: fc.constant('field' as const),
    name: fc.constantFrom('note', 'client', 'x'),
    value: fc.stringMatching(/^[a-z0-9 ]{0,20}$/),
  }),
  fc.record({ kind: fc.constant('empty input' as const) }),
);

function countedBody(parts: readonly CountedPart[], padding: string): Buffer {
  const chunks = parts.map((part) => {
    const open = `--${BOUNDARY}${padding}\r\n`;
    if (part.kind === 'field') {
      return Buffer.from(
        `${open}Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
      );
    }
    if (part.kind === 'empty input') {
      return Buffer.from(
        `${open}Content-Disposition: form-data; name="image"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n`,
      );
    }
    return Buffer.concat([
      Buffer.from(
        `${open}Content-Disposition: form-data${part.params}\r\n${part.headers}\r\n`,
        'binary',
      ),
      part.bytes,
      Buffer.from('\r\n'),
    ]);
  });
  return Buffer.concat([...chunks, Buffer.from(`--${BOUNDARY}--${padding}\r\n`)]);
}

/** The position in `parts` of the part an error names: by `part`, else by "Part N". */
function namedIndex(error: GatewayError, parts: readonly CountedPart[]): number {
  const byPosition = /^Part (\d+) /.exec(error.detail);
  if (error.part === undefined) return byPosition === null ? -1 : Number(byPosition[1]) - 1;
  const [, field, nth] = /^(.*)\[(\d+)\]$/.exec(error.part) ?? [];
  // The field name as the body writes it; parts whose name cannot be read count under none.
  const nameOf = (part: CountedPart): string | undefined => {
    if (part.kind === 'field') return part.name;
    if (part.kind === 'empty input') return 'image';
    if (/^;\s*name="im"age"/.test(part.params)) return undefined;
    const match = /(?:^|;)\s*name=(?:"([^"]*)"|([^;\s"]+))/i.exec(part.params);
    return match === null ? '' : (match[1] ?? match[2]);
  };
  let seen = -1;
  return parts.findIndex((part) => nameOf(part) === field && ++seen === Number(nth));
}

describe('fuzz: every file part is a result or named in an error', () => {
  const generous = configWith({ MAX_FILES: '16', MAX_PARTS: '32', MAX_FIELDS: '16' }).limits;

  it('results + named errors = file parts, whatever the Content-Disposition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(countedPart, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('', ' ', '\t  '),
        async (parts, padding) => {
          const fileParts = parts.filter((part) => part.kind === 'file').length;
          let rest = parts;
          let named = 0;
          for (;;) {
            let results = 0;
            try {
              results = (await parseMultipart(countedBody(rest, padding), BOUNDARY, generous))
                .images.length;
            } catch (error) {
              if (!isGatewayError(error)) throw error;
              if (error.code !== 'NO_IMAGE') {
                const index = namedIndex(error, rest);
                expect(index, `${error.code}: ${error.detail}`).toBeGreaterThanOrEqual(0);
                expect(rest[index]?.kind, `${error.code}: ${error.detail}`).toBe('file');
                named++;
                rest = rest.filter((_, i) => i !== index);
                continue;
              }
            }
            expect(results + named).toBe(fileParts);
            return;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: the whole handler', () => {
  const uploadLike = () =>
    eventFor(
      buildMultipart(
        [{ name: 'image', filename: 'a.jpg', contentType: 'image/jpeg', bytes: jpeg() }],
        BOUNDARY,
      ),
      `multipart/form-data; boundary=${BOUNDARY}`,
    );
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

  // Whatever the endpoint answers (status, error type, body), the handler
  // answers a catalogued problem; 500 only for the one failure the table
  // maps to it, the gateway not being allowed to invoke (403).
  it('never turns a model answer into a 500', async () => {
    const handler = handlerWith({ INVOKE_MAX_ATTEMPTS: '1' }, client);
    const deep = fc
      .oneof(fc.constantFrom(64, 65, 1000, 5000, 20000), fc.integer({ min: 1, max: 6000 }))
      .map((depth) => '['.repeat(depth) + ']'.repeat(depth));
    const reply = fc.record({
      status: fc.oneof(
        { weight: 2, arbitrary: fc.constant(200) },
        fc.constantFrom(400, 403, 404, 405, 413, 424, 429, 500, 502, 503, 504, 530),
        fc.integer({ min: 400, max: 599 }),
      ),
      errorType: fc.option(
        fc.constantFrom(
          'ValidationError',
          'ModelError',
          'AccessDeniedException',
          'ThrottlingException',
          'InternalFailure',
          'ResourceNotFound',
        ),
        { nil: undefined },
      ),
      body: fc.oneof(
        { weight: 2, arbitrary: deep },
        fc.json({ maxDepth: 4 }),
        fc.constant('<html><body>Not Found</body></html>'),
        fc.string({ maxLength: 64 }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(reply, async ({ status, errorType, body }) => {
        stub.behaviour = () => ({
          status,
          headers: {
            'Content-Type': 'application/json',
            ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
          },
          body,
        });
        const result = await handler(uploadLike(), lambdaContext());
        const answer = JSON.parse(result.body) as { code?: keyof typeof ERROR_CATALOGUE };
        if (result.statusCode === 200) return;
        expect(answer.code && ERROR_CATALOGUE[answer.code].status).toBe(result.statusCode);
        if (result.statusCode === 500) {
          expect(
            errorType === 'AccessDeniedException' || status === 403,
            JSON.stringify({ status, errorType }),
          ).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    stub.reset();
  });

  it('answers one result per file part, or names the part at fault', async () => {
    const handler = handlerWith({ MAX_FILES: '8', MAX_PARTS: '16' }, client);
    const withImages = fc
      .array(countedPart, { minLength: 1, maxLength: 4 })
      .map((parts) =>
        parts.map((part) =>
          part.kind === 'file' && part.bytes.length > 0 ? { ...part, bytes: jpeg() } : part,
        ),
      );
    await fc.assert(
      fc.asyncProperty(withImages, async (parts) => {
        const fileParts = parts.filter((part) => part.kind === 'file').length;
        const result = await handler(
          eventFor(countedBody(parts, ''), `multipart/form-data; boundary=${BOUNDARY}`),
          lambdaContext(),
        );
        const answer = JSON.parse(result.body) as {
          results?: unknown[];
          code?: string;
          part?: string;
          detail?: string;
        };
        if (result.statusCode === 200) {
          expect(answer.results).toHaveLength(fileParts);
        } else if (answer.code !== 'NO_IMAGE' || fileParts > 0) {
          expect(result.statusCode, answer.detail).toBe(400);
          expect(
            answer.part ?? /^Part \d+ /.exec(answer.detail ?? '')?.[0],
            answer.detail,
          ).toBeDefined();
        }
      }),
      { numRuns: 60 },
    );
  });
});
