import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, ERROR_CODES } from './errors.ts';
import { buildOpenApiDocument, routeErrorCodes } from './openapi.ts';

type Responses = Record<
  string,
  { content: Record<string, { schema: { properties?: { code?: { enum?: string[] } } } }> }
>;
const document = buildOpenApiDocument() as unknown as {
  paths: Record<string, { post: { responses: Responses; security: unknown } }>;
};
const responsesOf = (route: string) => document.paths[`/{stage}/${route}`]?.post.responses ?? {};

/** code -> the status whose problem+json response lists it. */
function documentedCodes(responses: Responses): Record<string, string> {
  const codes: Record<string, string> = {};
  for (const [status, response] of Object.entries(responses)) {
    const schema = response.content['application/problem+json']?.schema;
    for (const code of schema?.properties?.code?.enum ?? []) codes[code] = status;
  }
  return codes;
}

describe('the OpenAPI document', () => {
  it('lists every error code under its catalogue status on /predict', () => {
    const expected = Object.fromEntries(
      ERROR_CODES.filter((code) => code !== 'REQUEST_REJECTED').map((code) => [
        code,
        String(ERROR_CATALOGUE[code].status),
      ]),
    );
    expect(documentedCodes(responsesOf('predict'))).toEqual(expected);
  });

  it('lists the codes /invocations can answer, under their statuses', () => {
    const expected = Object.fromEntries(
      routeErrorCodes('invocations').map((code) => [code, String(ERROR_CATALOGUE[code].status)]),
    );
    expect(documentedCodes(responsesOf('invocations'))).toEqual(expected);
    expect(expected).not.toHaveProperty('IMAGE_UNDECODABLE');
    expect(expected).toHaveProperty('MODEL_ERROR', '502');
  });

  it('answers REQUEST_REJECTED as any 4XX, without a status', () => {
    const rejected = responsesOf('predict')['4XX']?.content['application/problem+json'];
    expect(rejected?.schema).toEqual({ $ref: '#/components/schemas/RejectedProblem' });
  });

  it('requires the x-api-key scheme on both routes', () => {
    expect(document.paths['/{stage}/predict']?.post.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/{stage}/invocations']?.post.security).toEqual([{ apiKey: [] }]);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(buildOpenApiDocument()));
  });
});
