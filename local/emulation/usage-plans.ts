/**
 * API keys, usage plans and throttling: whether API Gateway lets a request
 * through to its integration. In API Gateway's order: the API key (when the
 * method requires one) against the usage plan of the stage, then the stage's
 * throttle, then the plan's throttle, then the plan's quota. Locally every
 * API key of the template has the one local value.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ApiModel, Route } from './api-model.ts';
import { type Clock, Quota, TokenBucket } from './throttle.ts';

/** Compares a presented key with a known one in constant time (for equal lengths). */
export function sameKey(presented: string, known: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(known);
  // Compare against itself when lengths differ so timing does not reveal the length match.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

/** A request let through; the key fields feed the event and `$context.identity.apiKeyId`. */
export interface Admitted {
  readonly admitted: true;
  /** The key presented, when the method requires one; null otherwise. */
  readonly apiKey: string | null;
  /** Logical id of the API key matched, '' when none was required. */
  readonly apiKeyId: string;
}

/** A request refused with one of API Gateway's own errors. */
export interface Refused {
  readonly admitted: false;
  readonly refusal: 'INVALID_API_KEY' | 'THROTTLED' | 'QUOTA_EXCEEDED';
  /** Logical id of the API key matched before a throttle or quota refusal, else ''. */
  readonly apiKeyId: string;
}

export type Admission = Admitted | Refused;

/** One usage plan's throttle and quota for the one local key. */
interface PlanState {
  readonly stages: readonly string[];
  readonly apiKeyId: string;
  readonly bucket: TokenBucket | undefined;
  readonly quota: Quota | undefined;
}

const KEYLESS: Admitted = { admitted: true, apiKey: null, apiKeyId: '' };
const INVALID_KEY: Refused = { admitted: false, refusal: 'INVALID_API_KEY', apiKeyId: '' };
const THROTTLED: Refused = { admitted: false, refusal: 'THROTTLED', apiKeyId: '' };

/** The token buckets and quotas of one API, counting every request it admits. */
export class UsagePlans {
  private readonly apiKey: string;
  private readonly stageBuckets: ReadonlyMap<string, TokenBucket>;
  private readonly plans: readonly PlanState[];

  /**
   * @param apiKey the value every API key of the template has locally
   * @param clock milliseconds, for the buckets and quota periods
   */
  constructor(model: Pick<ApiModel, 'stages' | 'usagePlans'>, apiKey: string, clock: Clock) {
    this.apiKey = apiKey;
    this.stageBuckets = new Map(
      model.stages.flatMap((stage) =>
        stage.throttle === undefined
          ? []
          : [
              [
                stage.name,
                new TokenBucket(stage.throttle.rateLimit, stage.throttle.burstLimit, clock),
              ] as const,
            ],
      ),
    );
    // A plan without keys admits nobody, so it needs no state.
    this.plans = model.usagePlans.flatMap((plan) => {
      const [apiKeyId] = plan.apiKeyIds;
      if (apiKeyId === undefined) return [];
      return [
        {
          stages: plan.stages,
          apiKeyId,
          bucket:
            plan.throttle &&
            new TokenBucket(plan.throttle.rateLimit, plan.throttle.burstLimit, clock),
          quota: plan.quota && new Quota(plan.quota.limit, plan.quota.period, clock),
        },
      ];
    });
  }

  /**
   * Decides one request to `route` on `stage`, taking a token from each
   * bucket it passes (a refusal by the stage's bucket takes none from the plan's).
   * @param presentedKey the request's `x-api-key` header
   */
  admit(route: Route, stage: string, presentedKey: string | undefined): Admission {
    const stageBucket = this.stageBuckets.get(stage);
    if (!route.apiKeyRequired) return stageBucket?.take() === false ? THROTTLED : KEYLESS;
    const plan = this.plans.find((p) => p.stages.includes(stage));
    if (presentedKey === undefined || plan === undefined || !sameKey(presentedKey, this.apiKey)) {
      return INVALID_KEY;
    }
    const { apiKeyId } = plan;
    if (stageBucket?.take() === false || plan.bucket?.take() === false) {
      return { admitted: false, refusal: 'THROTTLED', apiKeyId };
    }
    if (plan.quota?.take() === false) {
      return { admitted: false, refusal: 'QUOTA_EXCEEDED', apiKeyId };
    }
    return { admitted: true, apiKey: presentedKey, apiKeyId };
  }
}
