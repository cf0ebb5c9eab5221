import { describe, expect, it } from 'vitest';
import { SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS as CUSTOM_ATTRIBUTES_MAX_CHARS } from './aws-facts.ts';
import {
  buildCustomAttributes,
  fieldAllowlist,
  forwardedFields,
  isFieldPattern,
  parseCustomAttributes,
} from './custom-attributes.ts';

describe('buildCustomAttributes', () => {
  it.each([
    { what: 'nothing to send', clientId: undefined, fields: [], expected: undefined },
    { what: 'client id only', clientId: 'team-a', fields: [], expected: 'client-id=team-a' },
    {
      what: 'fields in upload order, separators encoded',
      clientId: 'c',
      fields: [
        { name: 'note', value: 'a;b=c' },
        { name: 'lang', value: 'ja 日本' },
      ],
      expected: 'client-id=c;note=a%3Bb%3Dc;lang=ja%20%E6%97%A5%E6%9C%AC',
    },
  ])('$what', ({ clientId, fields, expected }) => {
    expect(buildCustomAttributes(clientId, fields)).toBe(expected);
  });

  it('round-trips through parseCustomAttributes', () => {
    const value = buildCustomAttributes('id;1', [{ name: 'k=', value: '%x' }]) ?? '';
    expect(parseCustomAttributes(value)).toEqual([
      ['client-id', 'id;1'],
      ['k=', '%x'],
    ]);
  });

  it('accepts exactly the SageMaker limit and refuses one character more', () => {
    const prefix = 'client-id='.length;
    const atLimit = 'a'.repeat(CUSTOM_ATTRIBUTES_MAX_CHARS - prefix);
    expect(buildCustomAttributes(atLimit, [])?.length).toBe(CUSTOM_ATTRIBUTES_MAX_CHARS);
    expect(() => buildCustomAttributes(`${atLimit}a`, [])).toThrowError(
      expect.objectContaining({
        code: 'CUSTOM_ATTRIBUTES_TOO_LONG',
        detail:
          'The text fields and X-Client-Id encode to 1025 characters of custom attributes; SageMaker allows 1024.',
      }),
    );
  });

  it('only ever produces visible US-ASCII', () => {
    const value = buildCustomAttributes('\u0000\t\n é', [{ name: '名前', value: '\u007f' }]) ?? '';
    expect(value).toMatch(/^[\x21-\x7e]+$/);
  });
});

describe('forwardedFields', () => {
  const fields = [
    { name: 'note', value: 'a' },
    { name: 'tfs-model-name', value: 'other' },
    { name: 'tfs-method', value: 'classify' },
  ];
  it.each([
    { entries: [], expected: [] },
    { entries: ['note'], expected: ['note'] },
    { entries: ['tfs-*'], expected: ['tfs-model-name', 'tfs-method'] },
    { entries: ['tfs-model'], expected: [] },
    { entries: ['*'], expected: ['note', 'tfs-model-name', 'tfs-method'] },
  ])('$entries lets through $expected', ({ entries, expected }) => {
    const kept = forwardedFields(fields, fieldAllowlist(entries));
    expect(kept.map((field) => field.name)).toEqual(expected);
  });

  it.each([
    { entry: 'note', ok: true },
    { entry: 'tfs-*', ok: true },
    { entry: '*', ok: true },
    { entry: 'a'.repeat(256), ok: true },
    { entry: 'a'.repeat(257), ok: false },
    { entry: 'a b', ok: false },
    { entry: 'a*b', ok: false },
    { entry: '**', ok: false },
  ])('isFieldPattern($entry) is $ok', ({ entry, ok }) => {
    expect(isFieldPattern(entry)).toBe(ok);
  });
});
