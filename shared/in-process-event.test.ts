import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attachRawBody, base64Length, RAW_BODY, rawBodyOf } from './in-process-event.ts';

function plainAndInProcess(bytes: Buffer) {
  const fields = { resource: '/predict', isBase64Encoded: true };
  const plain = { ...fields, body: bytes.toString('base64') };
  const inProcess = attachRawBody({ ...fields } as { resource: string; body?: string }, bytes);
  return { plain, inProcess };
}

describe('an in-process event with its body bytes (shared/in-process-event.ts)', () => {
  it('is the same event to anything that reads it: body, JSON, keys, spread', () => {
    const bytes = randomBytes(1000);
    const { plain, inProcess } = plainAndInProcess(bytes);
    expect(inProcess.body).toBe(plain.body);
    expect(JSON.stringify(inProcess)).toBe(JSON.stringify(plain));
    expect(Object.keys(inProcess)).toEqual(Object.keys(plain));
    expect({ ...inProcess }).toEqual(plain);
    expect(rawBodyOf(inProcess)).toBe(bytes);
  });

  it('makes the base64 once, on the first read', () => {
    const { inProcess } = plainAndInProcess(randomBytes(300));
    expect(inProcess.body).toBe(inProcess.body);
  });

  it('drops the bytes when a handler replaces the body', () => {
    const { inProcess } = plainAndInProcess(randomBytes(30));
    inProcess.body = 'aGVsbG8=';
    expect(inProcess.body).toBe('aGVsbG8=');
    expect(rawBodyOf(inProcess)).toBeUndefined();
    expect(RAW_BODY in inProcess).toBe(false);
  });

  it('finds no bytes on an event from JSON (as Lambda delivers it)', () => {
    const { inProcess } = plainAndInProcess(randomBytes(30));
    expect(rawBodyOf(JSON.parse(JSON.stringify(inProcess)))).toBeUndefined();
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 605_091])('base64Length(%i) is the length of the base64', (n) => {
    expect(base64Length(n)).toBe(Buffer.alloc(n).toString('base64').length);
  });
});
