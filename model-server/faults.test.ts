import { describe, expect, it } from 'vitest';
import { FaultSpecError, faultsFromAttributes, NO_FAULTS } from './faults.ts';

describe('faultsFromAttributes', () => {
  it.each([
    { header: undefined, expected: NO_FAULTS },
    { header: 'client-id=abc;note=hello', expected: NO_FAULTS },
    { header: 'fault-latency-ms=250', expected: { ...NO_FAULTS, latencyMs: 250 } },
    {
      header: 'client-id=abc;fault-status=503;fault-crash=drop',
      expected: { ...NO_FAULTS, status: 503, crash: 'drop' },
    },
    {
      header: 'fault-runtime-error=ThrottlingException',
      expected: { ...NO_FAULTS, runtimeError: 'ThrottlingException' },
    },
    // Not percent-encoding: the model's business, so no faults.
    { header: 'fault-status=%E0%A4%A', expected: NO_FAULTS },
  ])('reads $header', ({ header, expected }) => {
    expect(faultsFromAttributes(header, NO_FAULTS)).toEqual(expected);
  });

  it('overrides the faults from the environment', () => {
    const base = { ...NO_FAULTS, latencyMs: 100, status: 500 };
    expect(faultsFromAttributes('fault-status=200', base)).toEqual({ ...base, status: 200 });
  });

  it.each([
    {
      header: 'fault-status=1000',
      message:
        'Custom attribute fault-status must be an HTTP status from 200 to 599, but received "1000"',
    },
    {
      header: 'fault-latency-ms=-5',
      message:
        'Custom attribute fault-latency-ms must be an integer number of milliseconds from 0 to 600000, but received "-5"',
    },
    {
      header: 'fault-runtime-error=Boom',
      message:
        'Custom attribute fault-runtime-error must be one of ValidationError, ModelError, ModelNotReadyException, InternalFailure, ServiceUnavailable, InternalDependencyException, ThrottlingException, but received "Boom"',
    },
  ])('refuses $header', ({ header, message }) => {
    expect(() => faultsFromAttributes(header, NO_FAULTS)).toThrowError(new FaultSpecError(message));
  });
});
