/** A clock in milliseconds, injectable so tests need not wait. */
export type Clock = () => number;

/**
 * API Gateway's throttle: a token bucket holding `burstLimit` tokens,
 * refilled at `rateLimit` per second; each request takes one.
 */
export class TokenBucket {
  private readonly rateLimit: number;
  private readonly burstLimit: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(rateLimit: number, burstLimit: number, clock: Clock = Date.now) {
    this.rateLimit = rateLimit;
    this.burstLimit = burstLimit;
    this.clock = clock;
    this.tokens = burstLimit;
    this.last = clock();
  }

  /** Takes a token; false when the bucket is empty (429 THROTTLED). */
  take(): boolean {
    const now = this.clock();
    this.tokens = Math.min(
      this.burstLimit,
      this.tokens + ((now - this.last) / 1000) * this.rateLimit,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

/** Start (UTC) of the quota period holding `now`; weeks start on Monday. */
export function periodStart(period: QuotaPeriod, now: number): number {
  const date = new Date(now);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  if (period === 'DAY') return day;
  if (period === 'WEEK') return day - ((date.getUTCDay() + 6) % 7) * 86_400_000;
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** A usage plan's quota for one key: `limit` requests per period. */
export class Quota {
  private readonly limit: number;
  private readonly period: QuotaPeriod;
  private readonly clock: Clock;
  private count = 0;
  private start: number;

  constructor(limit: number, period: QuotaPeriod, clock: Clock = Date.now) {
    this.limit = limit;
    this.period = period;
    this.clock = clock;
    this.start = periodStart(period, clock());
  }

  /** Counts a request; false once the period's quota is used (429 QUOTA_EXCEEDED). */
  take(): boolean {
    const start = periodStart(this.period, this.clock());
    if (start !== this.start) {
      this.start = start;
      this.count = 0;
    }
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }
}
