import { describe, expect, it } from 'vitest';
import { ConfigError } from '#shared/config-kit.ts';
import { CONTEXT_KEYS } from '../infra/settings.ts';
import { checkContextKeys, parseContextArgs } from './context-args.ts';

describe('parseContextArgs and checkContextKeys (npm start -- -c key=value)', () => {
  it('reads -c, --context and --context= as cdk synth does; the last value wins', () => {
    expect(
      parseContextArgs([
        '-c',
        'stages=dev',
        '--context',
        'corsOrigins=https://a.example,https://b.example',
        '--context=architecture=x86_64',
        '-c',
        'stages=dev,qa',
      ]),
    ).toEqual({
      stages: 'dev,qa',
      corsOrigins: 'https://a.example,https://b.example',
      architecture: 'x86_64',
    });
  });

  it('keeps everything after the first = in the value (JSON values included)', () => {
    expect(parseContextArgs(['-c', 'stages=["a=b"]'])).toEqual({ stages: '["a=b"]' });
  });

  it('accepts every key the app reads', () => {
    expect(() =>
      checkContextKeys(Object.fromEntries(CONTEXT_KEYS.map((key) => [key, 'x'])), CONTEXT_KEYS),
    ).not.toThrow();
  });

  it('takes no arguments as no context', () => {
    expect(parseContextArgs([])).toEqual({});
  });

  it.each([
    [
      ['stages=dev'],
      'npm start takes CDK context as -c key=value (after --), but received "stages=dev"',
    ],
    [['-c'], '-c needs a key=value after it'],
    [['-c', 'stages'], 'Context must be given as key=value, but received "stages"'],
    [['-c', '=dev'], 'Context must be given as key=value, but received "=dev"'],
  ])('refuses %j with one clear line', (args, message) => {
    expect(() => parseContextArgs(args)).toThrow(new ConfigError(message));
  });

  it('refuses a key the app does not read, naming the keys it does', () => {
    expect(() => checkContextKeys(parseContextArgs(['-c', 'stage=dev']), CONTEXT_KEYS)).toThrow(
      /^Context key "stage" is not one the app reads; the keys are stackName, stages, /,
    );
  });
});
