import { describe, expect, it } from 'vitest';
import type { ApiModel, Route } from './api-model.ts';
import { UsagePlans } from './usage-plans.ts';

const KEY = 'local-usage-plan-test-key-01';

const route = (apiKeyRequired: boolean): Route => ({
  path: '/predict',
  method: 'POST',
  apiKeyRequired,
  requiredHeaders: [],
  integration: { type: 'AWS_PROXY', functionId: 'Fn' },
});

function plans(overrides: Partial<Pick<ApiModel, 'stages' | 'usagePlans'>> = {}) {
  let now = Date.UTC(2026, 10, 24, 12);
  const model: Pick<ApiModel, 'stages' | 'usagePlans'> = {
    stages: [
      { name: 'dev', variables: {}, throttle: { rateLimit: 1, burstLimit: 3 } },
      { name: 'open', variables: {}, throttle: undefined },
    ],
    usagePlans: [
      {
        id: 'Plan',
        stages: ['dev', 'open'],
        throttle: { rateLimit: 1, burstLimit: 2 },
        quota: { limit: 3, period: 'DAY' },
        apiKeyIds: ['Key1'],
      },
    ],
    ...overrides,
  };
  return {
    usagePlans: new UsagePlans(model, KEY, () => now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('UsagePlans.admit', () => {
  it.each([
    { what: 'no key', presented: undefined },
    { what: 'a wrong key', presented: 'not-the-key-000000000000' },
    { what: 'a longer key', presented: `${KEY}x` },
  ])('refuses $what with INVALID_API_KEY and no key id', ({ presented }) => {
    const { usagePlans } = plans();
    expect(usagePlans.admit(route(true), 'dev', presented)).toEqual({
      admitted: false,
      refusal: 'INVALID_API_KEY',
      apiKeyId: '',
    });
  });

  it('refuses the right key on a stage no usage plan with keys covers', () => {
    const { usagePlans } = plans({
      usagePlans: [
        { id: 'Empty', stages: ['dev'], throttle: undefined, quota: undefined, apiKeyIds: [] },
      ],
    });
    expect(usagePlans.admit(route(true), 'dev', KEY)).toMatchObject({
      refusal: 'INVALID_API_KEY',
    });
  });

  it('admits the right key with the plan key id', () => {
    const { usagePlans } = plans();
    expect(usagePlans.admit(route(true), 'dev', KEY)).toEqual({
      admitted: true,
      apiKey: KEY,
      apiKeyId: 'Key1',
    });
  });

  it('admits a method without API key with no key, throttled by the stage alone', () => {
    const { usagePlans } = plans();
    const outcomes = Array.from({ length: 4 }, () => usagePlans.admit(route(false), 'dev', KEY));
    expect(outcomes.map((o) => (o.admitted ? 'ok' : o.refusal))).toEqual([
      'ok',
      'ok',
      'ok',
      'THROTTLED',
    ]);
    expect(outcomes[0]).toEqual({ admitted: true, apiKey: null, apiKeyId: '' });
    expect(outcomes[3]).toEqual({ admitted: false, refusal: 'THROTTLED', apiKeyId: '' });
  });

  it('throttles by the plan after its burst, naming the key, then the quota ends the day', () => {
    const { usagePlans, advance } = plans();
    const admit = () => {
      const outcome = usagePlans.admit(route(true), 'open', KEY);
      return outcome.admitted ? 'ok' : `${outcome.refusal} ${outcome.apiKeyId}`;
    };
    expect([admit(), admit(), admit()]).toEqual(['ok', 'ok', 'THROTTLED Key1']);
    advance(1000);
    expect(admit()).toBe('ok');
    advance(1000);
    expect(admit()).toBe('QUOTA_EXCEEDED Key1');
    advance(86_400_000);
    expect(admit()).toBe('ok');
  });

  it('a refusal by the stage bucket takes no token from the plan', () => {
    const { usagePlans, advance } = plans({
      stages: [{ name: 'dev', variables: {}, throttle: { rateLimit: 1, burstLimit: 1 } }],
      usagePlans: [
        {
          id: 'Plan',
          stages: ['dev'],
          throttle: { rateLimit: 0.001, burstLimit: 2 },
          quota: undefined,
          apiKeyIds: ['Key1'],
        },
      ],
    });
    const admit = () => usagePlans.admit(route(true), 'dev', KEY).admitted;
    // Stage: 1 token a second; plan: 2 tokens for the test's whole length.
    expect([admit(), admit()]).toEqual([true, false]);
    advance(1000);
    expect(admit()).toBe(true);
    advance(1000);
    expect(admit()).toBe(false);
  });
});
