import { RateLimitedError } from '../errors';
import type { BucketDecision } from './token-bucket';

/**
 * The rate-limit headers of a decision, in the IETF draft's form (`RateLimit-*`) and the older
 * `X-RateLimit-*` form with the same values. `Reset` is the number of seconds until the bucket is
 * full again (not an epoch time, unlike GitHub's `X-RateLimit-Reset`); the wait for the next single
 * request is `Retry-After` on a 429.
 */
export function rateLimitHeaders(decision: BucketDecision): Record<string, string> {
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  const reset = String(Math.ceil(decision.resetMs / 1000));
  return {
    'RateLimit-Limit': limit,
    'RateLimit-Remaining': remaining,
    'RateLimit-Reset': reset,
    'X-RateLimit-Limit': limit,
    'X-RateLimit-Remaining': remaining,
    'X-RateLimit-Reset': reset,
  };
}

/**
 * A refusal that carries the refusing bucket's `RateLimit-*` headers next to `Retry-After`, so a 429
 * never shows another bucket's state (a route may consume a named bucket besides its class's).
 */
export class BucketExhaustedError extends RateLimitedError {
  declare readonly headers: Readonly<Record<string, string>>;

  constructor(decision: BucketDecision, what?: string) {
    super(decision.retryAfterMs / 1000, what);
    this.headers = { ...rateLimitHeaders(decision), ...this.headers };
  }
}
